// Progress for the evidence upload form. Without this file the form is a plain multipart POST that
// works the same; with it, the upload goes through XMLHttpRequest so the progress bar can follow it.
// No inline script: this file is loaded with `defer` from the form page (CSP without 'unsafe-inline').
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) {
    return;
  }
  var box = form.querySelector(".upload-progress");
  var bar = document.getElementById("progress");
  var status = document.getElementById("upload-status");
  var button = form.querySelector("button[type=submit]");

  function say(text) {
    status.textContent = text;
  }

  form.addEventListener("submit", function (event) {
    if (!form.checkValidity()) {
      return; // let the browser show what is missing
    }
    event.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    box.hidden = false;
    bar.value = 0;
    button.disabled = true;
    say("Uploading…");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        var percent = Math.round((e.loaded / e.total) * 100);
        bar.value = percent;
        bar.textContent = percent + " %";
      }
    });
    xhr.addEventListener("load", function () {
      if (xhr.status >= 200 && xhr.status < 300) {
        bar.value = 100;
        say("Uploaded; opening the record…");
        // The server answered with a redirect to the new record, which XMLHttpRequest followed.
        window.location.assign(xhr.responseURL);
        return;
      }
      button.disabled = false;
      var detail = "";
      try {
        var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
        var node = page.querySelector(".error-detail");
        detail = node ? node.textContent : "";
      } catch (e) {
        detail = "";
      }
      say("The upload was refused (" + xhr.status + "): " + (detail || xhr.statusText));
    });
    xhr.addEventListener("error", function () {
      button.disabled = false;
      say("The upload failed: the connection was lost. Try again.");
    });
    xhr.send(new FormData(form));
  });
})();
