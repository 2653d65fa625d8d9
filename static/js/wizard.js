// Small helpers of the declaration wizard; every page also works without them.
(function () {
  "use strict";

  // Step 3: "清空" empties an identification group so it is skipped (manual 第四步 3)), and
  // fires "change" so htmx re-checks it and says it will be skipped.
  document.querySelectorAll("[data-clear]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-clear"));
    if (!input) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      input.value = "";
      input.removeAttribute("aria-invalid");
      input.dispatchEvent(new Event("change", { bubbles: true }));
      input.focus();
    });
  });

  // The submit button disables itself so a double tap on a slow connection sends one
  // request (the server treats a second submit as the same submission anyway).
  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        // After the browser has read the form: a disabled button would not be sent.
        setTimeout(function () {
          button.disabled = true;
          if (button.dataset.busyLabel) button.textContent = button.dataset.busyLabel;
        }, 0);
      });
    });
  });
})();
