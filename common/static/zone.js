// Pages are rendered on the server, which cannot know the viewer's time zone: the browser
// tells it once in the `tz` cookie and reloads, so every time on the page is in the viewer's
// own zone. A zone given in the address (?tz=) still wins.
(function () {
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone || !/^[A-Za-z0-9_+\-\/]+$/.test(zone)) return;
  if (document.cookie.split("; ").indexOf("tz=" + zone) !== -1) return;
  document.cookie = "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
  if (document.cookie.split("; ").indexOf("tz=" + zone) === -1) return; // cookies refused
  var shown = document.documentElement.getAttribute("data-zone");
  if (shown !== zone && !new URLSearchParams(location.search).has("tz")) {
    location.reload();
  }
})();
