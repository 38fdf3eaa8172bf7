/* Hardfin's pickers: a small enhancement of forms that work without it.
 *
 * - A SKU field (data-suggest) gets suggestions as you type, from /lookup/items/?q=… (a few
 *   items, never the catalog), into its <datalist>.
 * - A form marked data-live-form asks the server what it would show after "Check stock"
 *   whenever the SKU or a location changes (the same request the button sends, so the page
 *   and the script never disagree), and puts in place what changed: the stock at the chosen
 *   location, the "From" list narrowed to the locations holding the item, the lines'
 *   "Available" column, the SKU suggestions. Nothing is recorded by it.
 *
 * Without JavaScript the datalist holds the server's suggestions for a SKU that was not one,
 * and "Check stock" (or Enter) shows the stock.
 */
(function () {
  "use strict";

  function debounce(fn, wait) {
    let timer = null;
    return function (...args) {
      clearTimeout(timer);
      timer = setTimeout(() => fn.apply(this, args), wait);
    };
  }

  // --- suggestions as you type -------------------------------------------------------------

  function suggestUrl(input) {
    const holder = input.closest("[data-suggest-url]");
    return holder ? holder.getAttribute("data-suggest-url") : null;
  }

  let pending = null;

  async function suggest(input) {
    const url = suggestUrl(input);
    const list = input.list;
    const text = input.value.trim();
    if (!url || !list || !text) return;
    if (pending) pending.abort();
    pending = new AbortController();
    try {
      const response = await fetch(`${url}?q=${encodeURIComponent(text)}`, {
        headers: { Accept: "application/json" }, credentials: "same-origin", signal: pending.signal,
      });
      if (!response.ok) return;
      const { items } = await response.json();
      list.replaceChildren(...items.map((item) => {
        const option = document.createElement("option");
        option.value = item.sku;
        option.textContent = `${item.name} (${item.unit})`;
        return option;
      }));
    } catch (error) {
      if (error.name !== "AbortError") throw error;
    }
  }

  const suggestSoon = debounce(suggest, 150);
  document.addEventListener("input", (event) => {
    if (event.target.matches("input[data-suggest]")) suggestSoon(event.target);
  });

  // --- live "Check stock" --------------------------------------------------------------------

  function holdsFocus(element) {
    return element.contains(document.activeElement);
  }

  function replaceOptions(select, fresh) {
    const value = select.value;
    select.replaceChildren(...Array.from(fresh.options).map((option) => option.cloneNode(true)));
    // What the user chose stays chosen; nothing chosen takes the server's choice (the one
    // location holding the item).
    const kept = value && Array.from(select.options).some((option) => option.value === value);
    select.value = kept ? value : fresh.value;
  }

  function updateLines(current, fresh) {
    // While someone types in a line, only the "Available" cells change under them.
    const rows = current.tBodies[0] ? current.tBodies[0].rows : [];
    const freshRows = fresh.tBodies[0] ? fresh.tBodies[0].rows : [];
    const sameShape = rows.length === freshRows.length &&
      current.tHead.rows[0].cells.length === fresh.tHead.rows[0].cells.length;
    if (!holdsFocus(current)) {
      current.replaceWith(fresh);
      return true;
    }
    if (sameShape) {
      Array.from(rows).forEach((row, index) => {
        const cell = row.querySelector(".line-available");
        const freshCell = freshRows[index].querySelector(".line-available");
        if (cell && freshCell) cell.replaceWith(freshCell);
      });
    }
    return false;
  }

  async function check(form) {
    const data = new FormData(form);
    data.set("step", "check");
    const response = await fetch(form.action || window.location.href, {
      method: "POST", body: data, credentials: "same-origin", headers: { Accept: "text/html" },
    });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    let linesReplaced = false;
    page.querySelectorAll("[data-live][id]").forEach((fresh) => {
      const current = document.getElementById(fresh.id);
      if (!current) return;
      if (fresh.id === "lines") {
        linesReplaced = updateLines(current, fresh);
      } else if (!holdsFocus(current)) {
        current.replaceWith(fresh);
      }
    });
    form.querySelectorAll("select[data-check]").forEach((select) => {
      const fresh = page.getElementById(select.id);
      if (fresh && select !== document.activeElement) replaceOptions(select, fresh);
    });
    // A location code box (its suggestions are a data-live datalist, replaced above): an
    // empty one takes the server's choice (the one location holding the item) and its hint.
    form.querySelectorAll("input.location-code[data-check]").forEach((input) => {
      const fresh = page.getElementById(input.id);
      if (!fresh || input === document.activeElement) return;
      if (fresh.placeholder) input.placeholder = fresh.placeholder; else input.removeAttribute("placeholder");
      if (!input.value.trim() && fresh.value) input.value = fresh.value;
    });
    if (linesReplaced) {
      // The rows came with the server's count of them.
      form.querySelectorAll('input[type="hidden"][name^="lines-"]').forEach((input) => {
        const fresh = page.getElementById(input.id);
        if (fresh) input.value = fresh.value;
      });
    }
  }

  document.querySelectorAll("form[data-live-form]").forEach((form) => {
    form.addEventListener("change", (event) => {
      if (event.target.matches("[data-check]")) check(form);
    });
  });
})();
