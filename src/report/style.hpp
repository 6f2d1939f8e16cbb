#pragma once
// The report's one style sheet and one script, inline; the page's Content-Security-Policy allows
// exactly these by their SHA-256. Colours pass WCAG AA in both schemes (text 4.5:1, chart marks
// 3:1 against the background).
namespace knowthy::report {

inline constexpr const char* k_style = R"css(
:root{--bg:#ffffff;--fg:#1b1b1b;--muted:#4d4d4d;--line:#d0d0d0;--link:#0b57d0;--panel:#f5f6f8;
--s0:#1f6fb2;--s1:#c2571a;--s2:#2e7d32;--s3:#8e44ad;--s4:#6d6d6d;--s5:#b8860b;
--ok-fg:#1e6b30;--ok-bg:#e3f4e6;--bad-fg:#9b1c1c;--bad-bg:#fde8e8;--mid-fg:#6b4a00;--mid-bg:#fff3d6}
@media (prefers-color-scheme:dark){:root{--bg:#121417;--fg:#e6e6e6;--muted:#b4b4b4;--line:#3a3f45;--link:#8ab4f8;
--panel:#1c1f24;--s0:#6cb4f0;--s1:#f0955a;--s2:#7cc47f;--s3:#c59be0;--s4:#a8a8a8;--s5:#e0b84a;
--ok-fg:#9fe0ad;--ok-bg:#193222;--bad-fg:#ffb3b3;--bad-bg:#3d1b1b;--mid-fg:#f3d27a;--mid-bg:#3a2f12}}
*{box-sizing:border-box}[hidden]{display:none!important}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif}
header,main{max-width:1100px;margin:0 auto;padding:0 16px}
h1{font-size:1.6rem;margin:1rem 0 .25rem}h2{font-size:1.3rem;margin:2rem 0 .5rem;border-bottom:1px solid var(--line)}
h3{font-size:1.1rem;margin:1.5rem 0 .5rem}h4{font-size:1rem;margin:1rem 0 .25rem}
a{color:var(--link)}nav a{margin-right:.75rem}.when,.none,.meta{color:var(--muted)}.none{font-style:italic}
.scroll{overflow-x:auto}table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border:1px solid var(--line);padding:.25rem .5rem;text-align:left;vertical-align:top}th{background:var(--panel)}
figure{margin:1rem 0}svg.chart{width:100%;min-width:520px;height:auto;max-height:320px;display:block}
svg .grid{stroke:var(--line);stroke-width:1}svg .axis{stroke:var(--muted);stroke-width:1}
svg text{fill:var(--muted);font-size:11px}svg .lbl{fill:var(--fg);font-size:12px}
.s0{fill:var(--s0);stroke:var(--s0)}.s1{fill:var(--s1);stroke:var(--s1)}.s2{fill:var(--s2);stroke:var(--s2)}
.s3{fill:var(--s3);stroke:var(--s3)}.s4{fill:var(--s4);stroke:var(--s4)}.s5{fill:var(--s5);stroke:var(--s5)}
.key.s0{background:var(--s0)}.key.s1{background:var(--s1)}.key.s2{background:var(--s2)}.key.s3{background:var(--s3)}
.key.s4{background:var(--s4)}.key.s5{background:var(--s5)}svg rect{stroke:none}svg .ln{fill:none;stroke-width:2}svg .ci{stroke:var(--fg);stroke-width:3}
svg .thr{stroke:var(--bad-fg);stroke-width:2;stroke-dasharray:3 2}svg .pass .val{fill:var(--ok-fg)}
svg .fail .val{fill:var(--bad-fg)}
.legend{list-style:none;padding:0;margin:.25rem 0;display:flex;flex-wrap:wrap;gap:.75rem;font-size:.85rem}
.key{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:-1px}
details.numbers summary{cursor:pointer;color:var(--muted);font-size:.9rem}
.st{display:inline-block;padding:0 .35rem;border-radius:3px;font-size:.8rem;background:var(--mid-bg);color:var(--mid-fg)}
.st.ok,.st.done,.st.pass,.st.passed,.st.promoted{background:var(--ok-bg);color:var(--ok-fg)}
.st.failed,.st.fail,.st.train_failed,.st.rolled_back{background:var(--bad-bg);color:var(--bad-fg)}
ul.claims{padding-left:1.2rem}li.claim{margin:.2rem 0}li.claim .meta{font-size:.85rem;margin-left:.4rem}
.search{margin:.75rem 0}.search input{font:inherit;padding:.25rem .4rem;width:min(24rem,70vw);
background:var(--bg);color:var(--fg);border:1px solid var(--muted)}
.md{background:var(--panel);padding:.25rem 1rem;border-radius:4px}
@media (max-width:600px){body{font-size:15px}th,td{padding:.2rem .3rem}nav a{display:inline-block;margin:.1rem .5rem .1rem 0}}
@media print{nav,.search{display:none}body{background:#fff;color:#000}a{color:#000}section{break-inside:avoid-page}
svg.chart{max-height:240px}}
)css";

inline constexpr const char* k_script = R"js(
(function () {
  var box = document.getElementById('claim-search-box');
  if (!box) return;
  box.hidden = false;
  var q = document.getElementById('claim-search'), out = document.getElementById('claim-count');
  var items = Array.prototype.slice.call(document.querySelectorAll('li.claim'));
  var cats = Array.prototype.slice.call(document.querySelectorAll('div.category'));
  function run() {
    var t = q.value.trim().toLowerCase(), n = 0;
    items.forEach(function (li) {
      var hit = !t || li.textContent.toLowerCase().indexOf(t) >= 0;
      li.hidden = !hit;
      if (hit) n++;
    });
    cats.forEach(function (c) { c.hidden = !c.querySelector('li.claim:not([hidden])'); });
    out.textContent = n + ' of ' + items.length + ' claims';
  }
  q.addEventListener('input', run);
  run();
})();
)js";

}  // namespace knowthy::report
