"""Client timeouts in tests, chosen so that no outcome depends on the machine's speed.

A test that needs a client to time out arms an emulator fault that holds the request for
:data:`HELD_FOR` — far longer than the client's :data:`CLIENT_TIMEOUT` — so the client
always gives up first, however slow the machine. The same client's *answered* requests
must never hit that timeout, so it is generous: a request to an emulator on 127.0.0.1
takes milliseconds even on a busy machine, a hundred times less. Clients that only carry
answered traffic use :data:`ANSWERED_TIMEOUT`, a plain safety net.
"""

from __future__ import annotations

#: The timeout of a client whose faulted requests must time out (each costs this long).
CLIENT_TIMEOUT = 2.0
#: How long an emulator holds a request armed with ``timeout_next``: well past the above.
HELD_FOR = 3 * CLIENT_TIMEOUT
#: The timeout of clients that only ever get answers.
ANSWERED_TIMEOUT = 30.0
