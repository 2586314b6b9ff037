// Kiosk pages go back to the rating screen after a while without a touch, so the next
// citizen never finds a half-written suggestion or someone else's tracking code.
(function () {
  "use strict";
  var root = document.querySelector("[data-idle-url]");
  if (!root) {
    return;
  }
  var seconds = parseInt(root.getAttribute("data-idle-seconds"), 10) || 120;
  var timer = null;
  function restart() {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      window.location.assign(root.getAttribute("data-idle-url"));
    }, seconds * 1000);
  }
  ["pointerdown", "keydown", "input", "scroll"].forEach(function (name) {
    document.addEventListener(name, restart, { passive: true });
  });
  restart();
})();
