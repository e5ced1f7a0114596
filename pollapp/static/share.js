// Share blocks (templates/shared/_share.html): copy the link, and the phone's
// share sheet where the browser has one. Without this script the block still
// works: the link stands selectable in its field and the sites' links are
// plain links. Clicks are taken on the document, so a block the embed puts in
// after a ballot works as well as one that came with the page.
(function () {
  "use strict";

  // The embed may bring this script in again with a second share block.
  if (window.pollappShare) {
    return;
  }
  window.pollappShare = true;
  if (navigator.share) {
    document.documentElement.classList.add("can-share");
  }

  function say(block, words) {
    var status = block.querySelector("[data-share-status]");
    if (status) {
      status.textContent = words;
    }
  }

  function selectLink(block, button) {
    var field = block.querySelector("[data-share-url]");
    field.focus();
    field.select();
    say(block, button.dataset.select);
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    var button = target.closest && target.closest("[data-share-copy], [data-share-native]");
    var block = button && button.closest("[data-share]");
    if (!block) {
      return;
    }
    if (button.hasAttribute("data-share-native")) {
      // A cancelled sheet rejects too: nothing to say then.
      navigator.share({ title: button.dataset.title, text: button.dataset.title, url: button.dataset.url })
        .catch(function () {});
      return;
    }
    var url = block.querySelector("[data-share-url]").value;
    // In a frame without clipboard access (WordPress's sandbox) the promise is
    // refused: the link is selected for the reader to copy instead.
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(url).then(
        function () {
          say(block, button.dataset.copied);
        },
        function () {
          selectLink(block, button);
        }
      );
    } else {
      selectLink(block, button);
    }
  });
})();
