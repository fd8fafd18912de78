// Curator Studio: two small behaviours, no framework.
// 1. Korean/English caption pairs: re-measure in the kiosk's font while typing.
// 2. Preview: poll the render's progress, then reload to show the video.
(function () {
  "use strict";
  function fitPair(pair) {
    var key = pair.getAttribute("data-fit-key");
    var inputs = pair.querySelectorAll("input[type=text], textarea");
    var out = pair.querySelector(".fit");
    if (inputs.length < 2 || !out) return;
    var timer = null;
    function check() {
      var q = "key=" + encodeURIComponent(key) + "&ko=" + encodeURIComponent(inputs[0].value) +
              "&en=" + encodeURIComponent(inputs[1].value);
      fetch("/api/fit?" + q, {credentials: "same-origin"}).then(function (r) { return r.json(); })
        .then(function (m) {
          if (m.percent === undefined) return;
          var ko = document.documentElement.lang === "ko";
          var word = m.fits ? (ko ? "화면에 맞음" : "fits") : (ko ? "너무 깁니다" : "too long");
          var pct = ko ? "1080p 화면에서 폭의 " + m.percent + "% 사용" : m.percent + "% of its room on a 1080p screen";
          out.textContent = word + " · " + pct + (m.en ? " / EN " + m.en.percent + "%" : "");
          out.className = "fit " + (m.fits ? "ok" : "over");
        }).catch(function () {});
    }
    inputs.forEach(function (el) {
      el.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 250); });
    });
  }
  document.querySelectorAll(".pair[data-fit-key]").forEach(function (p) {
    fitPair(p);
  });
  document.querySelectorAll(".palette input[type=radio]").forEach(function (r) {
    r.addEventListener("change", function () {
      r.closest(".palettes").querySelectorAll(".palette").forEach(function (l) {
        l.classList.toggle("chosen", l.querySelector("input").checked);
      });
    });
  });
  var box = document.getElementById("preview-status");
  if (box && ["starting", "rendering", "encoding"].indexOf(box.getAttribute("data-state")) >= 0) {
    var names = {starting: ["준비 중…", "Starting…"], rendering: ["렌더링 중", "Rendering"],
                 encoding: ["동영상 만드는 중", "Making the video"]};
    var en = document.documentElement.lang === "en" ? 1 : 0;
    var poll = setInterval(function () {
      fetch("/preview/status", {credentials: "same-origin"}).then(function (r) { return r.json(); })
        .then(function (s) {
          document.getElementById("preview-progress").value = s.percent;
          document.getElementById("preview-count").textContent = s.done + " / " + s.total;
          if (names[s.state]) document.getElementById("preview-phase").textContent = names[s.state][en];
          if (["starting", "rendering", "encoding"].indexOf(s.state) < 0) {
            clearInterval(poll);
            location.reload();
          }
        }).catch(function () {});
    }, 700);
  }
})();
