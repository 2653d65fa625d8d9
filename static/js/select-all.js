// A "select all" checkbox: <input type="checkbox" data-select-all="input[name=ids]"> ticks
// or clears every box the selector names. A file, not an onclick attribute: the
// Content-Security-Policy runs no inline script.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.dataset.selectAll) return;
  document.querySelectorAll(box.dataset.selectAll).forEach(function (other) {
    other.checked = box.checked;
  });
});
