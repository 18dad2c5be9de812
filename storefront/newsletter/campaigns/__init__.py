"""Newsletter campaigns written in the Studio and sent through Mailchimp, exactly once per
document revision: the document (``document.py``), the e-mail (``render.py``), the record
of each send (``models.py``) and the steps that send it (``dispatch.py``)."""
