/* subvox library overview: files in attention order (failures, then QA flags), filtered,
   searched and sorted in the browser, shown a page of rows at a time so that a library of
   10,000 files stays quick. The rows sit in <script id="library-data">. */
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("library-data").textContent);
  const col = {};
  D.columns.forEach(function (name, i) { col[name] = i; });
  const flagKeys = D.flags.map(function (f) { return f.key; });
  const tbody = document.getElementById("files-body");
  const info = document.getElementById("pager-info");
  const search = document.getElementById("search");
  const perPage = D.per_page;
  const state = { flag: null, query: "", page: 0, sort: null, dir: 1 };
  let shown = D.rows;

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (ch) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[ch];
    });
  }
  function num(v) { return v === null || v === undefined ? "" : String(v); }

  function badges(row) {
    const bits = row[col.flags];
    let out = "";
    for (let i = 0; i < flagKeys.length; i++) {
      if (bits & (1 << i)) out += '<span class="badge ' + flagKeys[i] + '">' + esc(D.flags[i].short) + "</span>";
    }
    return out || '<span class="badge ok">ok</span>';
  }

  function rowHtml(row, rank) {
    const name = row[col.href] ? '<a href="' + esc(row[col.href]) + '">' + esc(row[col.source]) + "</a>" : esc(row[col.source]);
    const failed = row[col.failed] ? '<div class="muted">' + esc(row[col.failed]) + "</div>" : "";
    let cells = "<td class=num>" + (rank + 1) + "</td><td>" + badges(row) + "</td><td>" + name + failed + "</td>";
    D.numeric.forEach(function (c) { cells += "<td class=num>" + esc(num(row[col[c]])) + "</td>"; });
    return "<tr>" + cells + "</tr>";
  }

  function refilter() {
    const bit = state.flag === null ? 0 : 1 << flagKeys.indexOf(state.flag);
    const q = state.query.toLowerCase();
    shown = D.rows.filter(function (r) {
      return (!bit || r[col.flags] & bit) && (!q || r[col.source].toLowerCase().indexOf(q) >= 0);
    });
    if (state.sort !== null) {
      const c = col[state.sort], dir = state.dir;
      shown = shown.slice().sort(function (a, b) {
        const x = a[c], y = b[c];
        if (x === y) return 0;
        if (x === null) return 1;
        if (y === null) return -1;
        return (x < y ? -1 : 1) * dir;
      });
    }
    state.page = 0;
    render();
  }

  function render() {
    const pages = Math.max(1, Math.ceil(shown.length / perPage));
    state.page = Math.min(state.page, pages - 1);
    const first = state.page * perPage;
    const html = [];
    for (let k = first; k < Math.min(shown.length, first + perPage); k++) html.push(rowHtml(shown[k], k));
    tbody.innerHTML = html.join("");
    info.textContent = shown.length ? "files " + (first + 1) + "-" + Math.min(shown.length, first + perPage) + " of " + shown.length +
      " (page " + (state.page + 1) + " of " + pages + ")" : "no files match";
    document.getElementById("prev").disabled = state.page === 0;
    document.getElementById("next").disabled = state.page >= pages - 1;
  }

  document.getElementById("prev").addEventListener("click", function () { state.page -= 1; render(); });
  document.getElementById("next").addEventListener("click", function () { state.page += 1; render(); });
  search.addEventListener("input", function () { state.query = search.value; refilter(); });
  document.querySelectorAll(".card[data-flag]").forEach(function (card) {
    card.addEventListener("click", function () {
      const f = card.dataset.flag || null;
      state.flag = state.flag === f ? null : f;
      document.querySelectorAll(".card[data-flag]").forEach(function (c) {
        c.classList.toggle("on", (c.dataset.flag || null) === state.flag);
      });
      refilter();
    });
  });
  document.querySelectorAll("th[data-sort]").forEach(function (th) {
    th.addEventListener("click", function () {
      const key = th.dataset.sort || null;
      state.dir = state.sort === key ? -state.dir : (key === "source" ? 1 : -1);
      state.sort = key;
      refilter();
    });
  });
  render();
  document.body.dataset.ready = "1";
  document.body.dataset.readyMs = String(Math.round(performance.now())); // since navigation start
})();
