// Step 2 (图片上传). Phones take 12-50 MP photos; shrinking them here to the server's own
// limits (long edge 2048 px, JPEG quality 0.85) turns a 5-10 MB upload into a few hundred
// KB on a construction site's weak signal. The server checks and re-encodes every photo
// anyway, so whatever the browser cannot decode (HEIC on Android, say) is sent unchanged.
// Without this script each slot is a plain multipart form with an "上传" button.
(function () {
  "use strict";
  var LONG_EDGE = 2048;
  var QUALITY = 0.85;

  document.documentElement.classList.add("js");

  function shrink(file, done) {
    var canShrink = window.URL && window.DataTransfer && window.File &&
      HTMLCanvasElement.prototype.toBlob;
    if (!canShrink || !/^image\//.test(file.type)) { done(null); return; }
    var url = URL.createObjectURL(file);
    var img = new Image();
    img.onload = function () {
      URL.revokeObjectURL(url);
      // Browsers apply the EXIF orientation when drawing, so the photo stays upright.
      var scale = Math.min(1, LONG_EDGE / Math.max(img.naturalWidth, img.naturalHeight));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(img.naturalWidth * scale);
      canvas.height = Math.round(img.naturalHeight * scale);
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      canvas.toBlob(function (blob) {
        if (!blob || blob.size >= file.size) { done(null); return; }  // keep what is smaller
        done(new File([blob], "photo.jpg", { type: "image/jpeg" }));
      }, "image/jpeg", QUALITY);
    };
    img.onerror = function () { URL.revokeObjectURL(url); done(null); };
    img.src = url;
  }

  // Picking a photo uploads it at once: shrink, put the smaller file into the input, submit
  // the slot's form as a normal page load (the server answers as without the script).
  document.querySelectorAll("[data-photo-input]").forEach(function (input) {
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file) return;
      var form = input.form;
      var status = form.querySelector("[data-photo-status]");
      if (status) status.textContent = status.getAttribute("data-busy") || "";
      form.querySelectorAll("label, button").forEach(function (el) { el.classList.add("busy"); });
      shrink(file, function (smaller) {
        if (smaller) {
          var transfer = new DataTransfer();
          transfer.items.add(smaller);
          input.files = transfer.files;
        }
        form.submit();
      });
    });
  });

  // 有铭牌/无铭牌 shows the nameplate slots or the certificate slot; the photo forms carry
  // the (not yet saved) choice so the page comes back with it after an upload.
  var radios = document.querySelectorAll("[data-nameplates]");
  function showChoice() {
    var chosen = "";
    radios.forEach(function (radio) { if (radio.checked) chosen = radio.value; });
    var plates = document.querySelector('[data-photo-group="nameplates"]');
    var certificate = document.querySelector('[data-photo-group="certificate"]');
    if (plates) plates.hidden = chosen === "false";
    if (certificate) certificate.hidden = chosen === "true";
    document.querySelectorAll("[data-nameplates-copy]").forEach(function (copy) {
      copy.value = chosen;
    });
  }
  radios.forEach(function (radio) { radio.addEventListener("change", showChoice); });
})();
