// The order page while a payment is pending: ask the shop for the order's status now and
// then, and reload the page once it changed (paid, failed, cancelled). A static file, so
// the Content-Security-Policy keeps refusing inline script.
(function () {
  "use strict";
  var notice = document.querySelector("[data-status-url]");
  if (!notice || !window.fetch) {
    return;
  }
  var url = notice.getAttribute("data-status-url");
  var status = notice.getAttribute("data-status");
  var delay = 1500;
  var asked = 0;

  function later() {
    asked += 1;
    if (asked < 200) { // about an hour at the longest pause; the link still works after
      delay = Math.min(Math.round(delay * 1.3), 20000);
      window.setTimeout(ask, delay);
    }
  }

  function ask() {
    window.fetch(url, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store"
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (answer) {
      if (answer && answer.status && answer.status !== status) {
        window.location.reload();
      } else {
        later();
      }
    }, later);
  }

  window.setTimeout(ask, delay);
}());
