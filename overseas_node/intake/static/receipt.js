// The receipt's print button (no inline script: the pages' CSP refuses it).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
