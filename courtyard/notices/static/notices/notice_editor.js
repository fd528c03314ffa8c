// The announcement editor: Quill on the content textarea (which stays the field the form
// posts, and the editor without JavaScript), images uploaded to the notice, variables.
(function () {
  "use strict";

  var source = document.querySelector("textarea.notice-content-source");
  if (!source || !window.Quill) return;
  var box = source.closest(".notice-editor");
  var form = source.form;

  // Alignment as a style (text-align), which the server's sanitiser keeps; classes it drops.
  Quill.register(Quill.import("attributors/style/align"), true);

  var holder = document.createElement("div");
  holder.className = "notice-editor-area";
  source.insertAdjacentElement("afterend", holder);
  source.hidden = true;

  // The toolbar is the page's own markup: its labels and tips are translated there.
  var toolbar = box.querySelector(".notice-toolbar");
  toolbar.hidden = false;
  var uploadUrl = box.dataset.uploadUrl;
  var quill = new Quill(holder, {
    theme: "snow",
    modules: { toolbar: { container: toolbar, handlers: { image: chooseImage } } }
  });
  // The link tooltip's words come from the theme's stylesheet; ours are read from the toolbar.
  var tip = quill.theme.tooltip.root;
  tip.dataset.visit = toolbar.dataset.msgVisit;
  tip.dataset.enter = toolbar.dataset.msgEnter;
  tip.querySelector("a.ql-action").dataset.edit = toolbar.dataset.msgEdit;
  tip.querySelector("a.ql-action").dataset.save = toolbar.dataset.msgSave;
  tip.querySelector("a.ql-remove").dataset.remove = toolbar.dataset.msgRemove;
  // The stored (sanitised) HTML, parsed off-document: nothing in it runs.
  quill.setContents(quill.clipboard.convert({ html: source.value }), "silent");
  quill.history.clear();
  // Whether the author has put the cursor somewhere (the toolbar's own focus does not count).
  var placed = false;
  quill.on("selection-change", function (range, _old, origin) {
    if (range && origin === "user") placed = true;
  });

  function html() {
    if (quill.getText().trim() === "" && !quill.root.querySelector("img")) return "";
    // Lists as <ul>/<ol>; Quill writes every space as &nbsp;, which would stop lines wrapping.
    return quill.getSemanticHTML().replace(/&nbsp;/g, " ");
  }

  form.addEventListener("submit", function () { source.value = html(); });

  function csrfToken() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function notify(text, kind) {
    var note = box.querySelector(".notice-editor-note");
    if (!note) {
      note = document.createElement("div");
      note.setAttribute("role", "status");
      box.appendChild(note);
    }
    note.className = "notice-editor-note small mt-1 text-" + (kind || "secondary");
    note.textContent = text || "";
  }

  function chooseImage() {
    if (!uploadUrl) {
      // A new notice has nowhere to keep images yet: save it as a draft, then go on.
      if (window.confirm(box.dataset.msgSaveFirst)) {
        form.querySelector("input[name=then]").value = "continue";
        source.value = html();
        form.submit();
      }
      return;
    }
    // Where the cursor is; at the end when the text was never clicked into.
    var range = quill.getSelection();
    var index = placed && range ? range.index : Math.max(quill.getLength() - 1, 0);
    var input = document.createElement("input");
    input.type = "file";
    input.accept = "image/png,image/jpeg";
    input.addEventListener("change", function () {
      if (input.files.length) upload(input.files[0], index);
    });
    input.click();
  }

  function upload(file, index) {
    var data = new FormData();
    data.append("image", file);
    notify(box.dataset.msgUploading);
    fetch(uploadUrl, {
      method: "POST",
      body: data,
      headers: { "X-CSRFToken": csrfToken() },
      credentials: "same-origin"
    })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (answer) {
        if (!answer.ok) throw new Error(answer.body.error || box.dataset.msgUploadFailed);
        quill.insertEmbed(index, "image", answer.body.url, "user");
        quill.setSelection(index + 1, 0, "silent");
        notify("");
      })
      .catch(function (error) {
        notify(error.message || box.dataset.msgUploadFailed, "danger");
      });
  }

  // {owner_name} and the like, inserted where the cursor is.
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".js-insert-variable");
    if (!button) return;
    var range = quill.getSelection(true);
    quill.insertText(range.index, button.dataset.insert, "user");
    quill.setSelection(range.index + button.dataset.insert.length, 0, "user");
  });

  // Enter in the audience search looks for people; it must not submit the whole form.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches(".js-audience-search")) {
      event.preventDefault();
    }
  });
})();
