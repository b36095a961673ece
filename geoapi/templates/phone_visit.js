// The phone page's visit form: POST /inspections with the session (X-Geoapi-Client lets a
// session write), a client id made once per form (a retried save is the same visit), and
// the phone's position when it gives one within 8 s. crypto.randomUUID and geolocation need
// HTTPS off localhost: the id then comes from getRandomValues, the position is left out.
function geoapiUuid() {
  if (window.crypto && crypto.randomUUID) { try { return crypto.randomUUID(); } catch (e) {} }
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
  const h = Array.from(b, x => x.toString(16).padStart(2, "0")).join("");
  return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
}
function geoapiPosition() {
  return new Promise(done => {
    if (!navigator.geolocation) return done(null);
    navigator.geolocation.getCurrentPosition(
      p => done(p.coords), () => done(null), {enableHighAccuracy: true, timeout: 8000, maximumAge: 60000});
  });
}
function geoapiMetres(coords, point) {  // haversine, metres
  const rad = Math.PI / 180, lat1 = coords.latitude * rad, lat2 = Number(point.lat) * rad;
  const dLat = lat2 - lat1, dLon = (Number(point.lon) - coords.longitude) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1) * Math.cos(lat2) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(a));
}
document.querySelectorAll("form.visit").forEach(form => {
  form.dataset.clientId = geoapiUuid();
  form.addEventListener("submit", async event => {
    event.preventDefault();
    const status = form.querySelector(".status");
    const answers = Array.from(form.querySelectorAll("fieldset[data-criterion]")).map(f => {
      const chosen = f.querySelector("input:checked");
      const opens = chosen && chosen.value === "fail" && Boolean(f.dataset.opens);
      return chosen && {criterion: f.dataset.criterion, result: chosen.value, open_issue: opens};
    });
    if (answers.some(a => !a)) {
      status.className = "status error"; status.textContent = "请逐项选择 Answer every line"; return;
    }
    status.className = "status"; status.textContent = "定位中… Locating";
    const coords = await geoapiPosition();
    const away = coords && geoapiMetres(coords, form.dataset);
    if (away > Number(form.dataset.farM) && !form.dataset.confirmed) {
      form.dataset.confirmed = "1";
      form.querySelector("button").textContent = "仍然保存 Save anyway";
      status.className = "status error";
      status.textContent = "定位距点位约 " + Math.round(away) + " 米（超过 " + form.dataset.farM +
        " 米）：确认在现场后再点保存 Far from the point: tap again to save";
      return;
    }
    status.className = "status"; status.textContent = "保存中… Saving";
    const body = {id: form.dataset.clientId, point_code: form.dataset.point, team: form.dataset.team,
                  answers: answers, notes: form.querySelector("textarea").value || null};
    if (coords) { body.lon = coords.longitude; body.lat = coords.latitude; }
    try {
      const answer = await fetch("/inspections", {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-Geoapi-Client": "phone"},
        body: JSON.stringify(body)});
      const saved = await answer.json();
      if (!answer.ok) throw new Error(saved.detail || answer.statusText);
      form.closest("li").classList.add("done");
      form.querySelector("button").disabled = true;
      const far = saved.far_from_point ? "（定位距点位较远 far from the point）" : "";
      const opened = (saved.issues || []).length ? " · 开立问题 " + saved.issues.length + " 个" : "";
      status.textContent =
        "已保存 Saved · 得分率 " + Math.round(saved.score_rate * 100) + "%" + opened + far;
    } catch (error) {
      status.className = "status error"; status.textContent = "未保存 Not saved: " + error.message;
    }
  });
});
