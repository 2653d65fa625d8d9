// After a code is sent, the button counts down the server's one-minute limit so people
// do not tap it again and get refused.
document.addEventListener("htmx:afterRequest", function (event) {
  var button = event.detail.elt;
  if (!button.matches || !button.matches("[data-sms-button]")) return;
  if (!event.detail.successful || event.detail.xhr.getResponseHeader("X-Sms-Sent") !== "1") return;
  var seconds = 60, label = button.dataset.label || button.textContent;
  button.dataset.label = label;
  button.disabled = true;
  var timer = setInterval(function () {
    seconds -= 1;
    button.textContent = seconds + "秒后重发";
    if (seconds <= 0) { clearInterval(timer); button.disabled = false; button.textContent = label; }
  }, 1000);
  button.textContent = seconds + "秒后重发";
});
