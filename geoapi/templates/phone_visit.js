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
// A photo as a JPEG of at most 1600 px on its longer side (a phone's camera gives 4000+),
// or as it is where the browser cannot decode it here.
async function geoapiShrink(file) {
  if (!window.createImageBitmap) return file;
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return await new Promise(done => canvas.toBlob(blob => done(blob || file), "image/jpeg", 0.85));
  } catch (error) {
    return file;
  }
}
// The photos go with each problem the visit opened, as its before photos (整改前).
async function geoapiUpload(files, problems) {
  let sent = 0;
  for (const file of files) {
    const photo = await geoapiShrink(file);
    for (const problem of problems) {
      const body = new FormData();
      body.append("file", photo, "photo.jpg");
      body.append("tag", "before");
      const answer = await fetch("/issues/" + problem + "/photos", {method: "POST",
        credentials: "same-origin", headers: {"X-Geoapi-Client": "phone"}, body: body});
      if (!answer.ok) throw new Error((await answer.json()).detail || answer.statusText);
      sent += 1;
    }
  }
  return sent;
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
      const problems = saved.issues || [];
      const opened = problems.length ? " · 开立问题 " + problems.length + " 个" : "";
      const files = Array.from(form.querySelector("input[type=file]").files);
      let photos = "";
      if (files.length && problems.length) {
        try {  // the visit is saved whatever happens to its photos
          photos = " · 照片 " + (await geoapiUpload(files, problems)) + " 张";
        } catch (error) {
          photos = " · 照片未上传 Photos not sent: " + error.message;
        }
      } else if (files.length) {
        photos = " · 未开立问题，照片未上传 (photos go with the problems a visit opens)";
      }
      status.textContent =
        "已保存 Saved · 得分率 " + Math.round(saved.score_rate * 100) + "%" + opened + photos + far;
    } catch (error) {
      status.className = "status error"; status.textContent = "未保存 Not saved: " + error.message;
    }
  });
});
// A rectified problem checked on the spot: closed (销号), or sent back with the reason (返工).
// The server keeps the rules: the one who rectified may not verify, a reason to send back.
document.querySelectorAll("form.verify").forEach(form => {
  // The button pressed (event.submitter is missing in older Safari and WeChat browsers).
  form.querySelectorAll("button").forEach(b => b.addEventListener("click", () => {
    form.dataset.action = b.value;
  }));
  form.addEventListener("submit", async event => {
    event.preventDefault();
    const action = form.dataset.action;
    if (action !== "close" && action !== "reopen") return;
    const status = form.querySelector(".status");
    const note = form.querySelector("textarea").value.trim();
    if (action === "reopen" && !note) {
      status.className = "status error"; status.textContent = "请填写返工原因 Give the reason";
      return;
    }
    status.className = "status"; status.textContent = "保存中… Saving";
    try {
      const answer = await fetch("/issues/" + form.dataset.issue + "/transitions", {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-Geoapi-Client": "phone"},
        body: JSON.stringify({action: action, note: note || "现场核查通过"})});
      const saved = await answer.json();
      if (!answer.ok) throw new Error(saved.detail || answer.statusText);
      form.closest("li").classList.add("done");
      form.querySelectorAll("button").forEach(b => { b.disabled = true; });
      status.textContent = action === "close" ? "已销号 Closed" : "已返工 Sent back";
    } catch (error) {
      status.className = "status error"; status.textContent = "未保存 Not saved: " + error.message;
    }
  });
});
// 随手报: a problem seen on the way, where the phone is (or at the chosen stop's point), its
// photos as the problem's before photos; a client id so a retried report is the same one.
document.querySelectorAll("form.report").forEach(form => {
  form.dataset.clientId = geoapiUuid();
  form.addEventListener("submit", async event => {
    event.preventDefault();
    const status = form.querySelector(".status");
    const body = {id: form.dataset.clientId, source: "inspection", type: form.type.value,
                  severity: Number(form.querySelector("input[name=severity]:checked").value),
                  description: form.description.value || null};
    status.className = "status"; status.textContent = "定位中… Locating";
    if (form.point.value) {
      body.point_code = form.point.value;
    } else {
      const coords = await geoapiPosition();
      if (!coords) {
        status.className = "status error";
        status.textContent = "没有定位：请选一个点位 No position: choose a stop's point";
        return;
      }
      body.lon = coords.longitude; body.lat = coords.latitude;
    }
    status.textContent = "保存中… Saving";
    try {
      const answer = await fetch("/issues", {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-Geoapi-Client": "phone"},
        body: JSON.stringify(body)});
      const saved = await answer.json();
      if (!answer.ok) throw new Error(saved.detail || answer.statusText);
      const files = Array.from(form.querySelector("input[type=file]").files);
      let photos = "";
      try {
        if (files.length) photos = " · 照片 " + (await geoapiUpload(files, [saved.id])) + " 张";
      } catch (error) {
        photos = " · 照片未上传 Photos not sent: " + error.message;
      }
      status.textContent = "已上报 Reported" + photos;
      form.reset();
      form.dataset.clientId = geoapiUuid();  // the next report is another problem
    } catch (error) {
      status.className = "status error"; status.textContent = "未上报 Not reported: " + error.message;
    }
  });
});
