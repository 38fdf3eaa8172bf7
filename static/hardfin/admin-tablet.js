/* The admin on a tablet: its navigation sidebar starts closed when the screen is narrower
 * than a desk's (the list keeps the width), until the user opens it with its « » toggle,
 * which Django's own script then remembers. Runs before that script (this one is not
 * deferred), so the page is drawn once. */
(function () {
  "use strict";
  const key = "django.admin.navSidebarIsOpen";
  try {
    if (localStorage.getItem(key) === null && window.matchMedia("(max-width: 1024px)").matches) {
      localStorage.setItem(key, "false");
    }
  } catch (error) {
    // No storage (private mode): Django's default, open, applies.
  }
})();
