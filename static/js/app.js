// Site-wide behaviour, loaded on every page (no inline scripts: the CSP forbids them).
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // Language select submits itself; its button stays for browsers without JS.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });
})();
