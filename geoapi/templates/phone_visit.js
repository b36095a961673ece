// The phone page's forms: a visit, a verification, a problem seen on the way (随手报).
// Every write goes through the outbox first (IndexedDB, in order, kept across reloads and
// restarts) and is sent at once when there is signal, else when the connection returns; a
// write the server refuses stays listed with its message. Writes carry X-Geoapi-Client (a
// session writes only with it) and a client id made once per entry, so a resend after a lost
// answer is the same visit or report. crypto.randomUUID, geolocation and service workers need
// HTTPS off localhost: the id then comes from getRandomValues, the position is left out.
function geoapiUuid() {
  if (window.crypto && crypto.randomUUID) { try { return crypto.randomUUID(); } catch (e) {} }
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
  const h = Array.from(b, x => x.toString(16).padStart(2, "0")).join("");
  return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
}
function geoapiPosition() {
  return new Promise(done => {
    if (!navigator.geolocation) return done(null);
    navigator.geolocation.getCurrentPosition(
      p => done(p.coords), () => done(null),
      {enableHighAccuracy: true, timeout: 8000, maximumAge: 60000});
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
function geoapiPhotos(form) {
  return Promise.all(Array.from(form.querySelector("input[type=file]").files).map(geoapiShrink));
}

// The outbox: one IndexedDB store, entries in the order they were made.
const geoapiOutbox = {
  open() {
    return new Promise((done, fail) => {
      const request = indexedDB.open("geoapi-phone", 1);
      request.onupgradeneeded = () =>
        request.result.createObjectStore("outbox", {keyPath: "seq", autoIncrement: true});
      request.onsuccess = () => done(request.result);
      request.onerror = () => fail(request.error);
    });
  },
  async run(mode, work) {
    const db = await this.open();
    return new Promise((done, fail) => {
      const transaction = db.transaction("outbox", mode);
      const request = work(transaction.objectStore("outbox"));
      transaction.oncomplete = () => done(request.result);
      transaction.onerror = () => fail(transaction.error);
    });
  },
  all() { return this.run("readonly", store => store.getAll()); },
  add(entry) { return this.run("readwrite", store => store.add(entry)); },
  put(entry) { return this.run("readwrite", store => store.put(entry)); },
  remove(seq) { return this.run("readwrite", store => store.delete(seq)); },
};

function geoapiRequest(url, body) {
  return fetch(url, {method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-Geoapi-Client": "phone"},
    body: JSON.stringify(body)});
}
// One entry sent: its write, then its photos to the problems the answer names. A refusal
// (4xx/5xx with a message) is marked `refused`; anything else means no connection.
async function geoapiDeliver(entry) {
  const answer = await geoapiRequest(entry.url, entry.body);
  const saved = await answer.json().catch(() => ({}));
  if (!answer.ok) {
    const error = new Error(saved.detail || answer.statusText);
    error.refused = true;
    throw error;
  }
  const problems = entry.photosTo === "issues" ? (saved.issues || []) :
    entry.photosTo === "id" && saved.id ? [saved.id] : [];
  let photos = 0;
  for (const photo of entry.photos || []) {
    for (const problem of problems) {
      const body = new FormData();
      body.append("file", photo, "photo.jpg");
      body.append("tag", "before");
      const sent = await fetch("/issues/" + problem + "/photos", {method: "POST",
        credentials: "same-origin", headers: {"X-Geoapi-Client": "phone"}, body: body});
      if (!sent.ok) {
        const error = new Error((await sent.json().catch(() => ({}))).detail || sent.statusText);
        error.refused = true;
        throw error;
      }
      photos += 1;
    }
  }
  return {saved: saved, photos: photos, problems: problems.length};
}
let geoapiSending = null;
function geoapiFlush() {  // one run at a time; entries in order; stops at the first no-signal
  geoapiSending = geoapiSending || (async () => {
    try {
      for (const entry of await geoapiOutbox.all()) {
        if (entry.error) continue;
        try {
          const result = await geoapiDeliver(entry);
          await geoapiOutbox.remove(entry.seq);
          geoapiShow(entry, geoapiDoneText(entry, result), false);
        } catch (error) {
          if (!error.refused) break;
          entry.error = error.message;
          await geoapiOutbox.put(entry);
          geoapiShow(entry, "被拒绝 Refused: " + error.message, true);
        }
      }
    } finally {
      geoapiSending = null;
      await geoapiRender();
    }
  })();
  return geoapiSending;
}
function geoapiDoneText(entry, result) {
  const photos = result.photos ? " · 照片 " + result.photos + " 张" : "";
  if (entry.kind === "visit") {
    const far = result.saved.far_from_point ? "（定位距点位较远 far from the point）" : "";
    const opened = result.problems ? " · 开立问题 " + result.problems + " 个" : "";
    const kept = entry.photos && entry.photos.length && !result.problems ?
      " · 未开立问题，照片未上传 (photos go with the problems a visit opens)" : "";
    return "已保存 Saved · 得分率 " + Math.round(result.saved.score_rate * 100) + "%" + opened +
      photos + kept + far;
  }
  if (entry.kind === "verify") {
    return entry.body.action === "close" ? "已销号 Closed" : "已返工 Sent back";
  }
  return "已上报 Reported" + photos;
}
// What happened to an entry, on its form when the form is on the page.
function geoapiShow(entry, text, refused) {
  const form = document.querySelector(entry.form);
  if (!form) return;
  const status = form.querySelector(".status");
  status.className = refused ? "status error" : "status";
  status.textContent = text;
  if (!refused && entry.kind !== "report") {
    form.closest("li").classList.add("done");
    form.querySelectorAll("button").forEach(b => { b.disabled = true; });
  }
}
async function geoapiRender() {
  const box = document.querySelector(".outbox");
  if (!box) return;
  const entries = await geoapiOutbox.all();
  box.hidden = entries.length === 0;
  box.querySelector("ul").replaceChildren(...entries.map(entry => {
    const item = document.createElement("li");
    item.dataset.seq = entry.seq;
    item.className = entry.error ? "refused" : "waiting";
    item.textContent = entry.label + " · " +
      (entry.error ? "被拒绝 Refused: " + entry.error : "待发送 Waiting for signal");
    if (entry.error) {
      const drop = document.createElement("button");
      drop.textContent = "移除 Remove";
      drop.addEventListener("click", async () => { await geoapiOutbox.remove(entry.seq); geoapiRender(); });
      item.append(" ", drop);
    }
    return item;
  }));
}
async function geoapiQueue(form, entry) {
  await geoapiOutbox.add(entry);
  const status = form.querySelector(".status");
  status.className = "status";
  status.textContent = "已排队，有信号即发送 Queued: sent when there is signal";
  await geoapiFlush();
}

document.querySelectorAll("form.visit").forEach(form => {
  form.dataset.clientId = geoapiUuid();
  form.addEventListener("submit", async event => {
    event.preventDefault();
    const status = form.querySelector(".status");
    const answers = Array.from(form.querySelectorAll("fieldset[data-criterion]")).map(f => {
      const chosen = f.querySelector("input:checked");
      const failed = Boolean(chosen) && chosen.value === "fail";
      const answer = chosen && {criterion: f.dataset.criterion, result: chosen.value,
                                open_issue: failed && Boolean(f.dataset.opens)};
      const partial = f.querySelector("label.partial input");
      if (failed && partial && partial.value !== "") answer.partial = Number(partial.value);
      return answer;
    });
    if (answers.some(a => !a)) {
      status.className = "status error"; status.textContent = "请逐项选择 Answer every line";
      return;
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
    const body = {id: form.dataset.clientId, point_code: form.dataset.point,
                  team: form.dataset.team, answers: answers,
                  notes: form.querySelector("textarea").value || null,
                  visited_at: new Date().toISOString()};
    if (coords) { body.lon = coords.longitude; body.lat = coords.latitude; }
    form.querySelector("button").disabled = true;
    await geoapiQueue(form, {kind: "visit", url: "/inspections", body: body,
      photos: await geoapiPhotos(form), photosTo: "issues",
      form: 'form.visit[data-point="' + form.dataset.point + '"]',
      label: "检查 Visit " + form.dataset.point});
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
    await geoapiQueue(form, {kind: "verify", url: "/issues/" + form.dataset.issue + "/transitions",
      body: {action: action, note: note || "现场核查通过"},
      form: 'form.verify[data-issue="' + form.dataset.issue + '"]',
      label: (action === "close" ? "销号 Close " : "返工 Send back ") + form.dataset.issue.slice(0, 8)});
  });
});

// 随手报: a problem seen on the way, where the phone is (or at the chosen stop's point), its
// photos as the problem's before photos.
document.querySelectorAll("form.report").forEach(form => {
  form.addEventListener("submit", async event => {
    event.preventDefault();
    const status = form.querySelector(".status");
    const body = {source: "inspection", type: form.type.value,
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
    body.id = geoapiUuid();
    const photos = await geoapiPhotos(form);
    const label = "随手报 " + form.type.selectedOptions[0].textContent;
    form.reset();
    form.querySelectorAll("fieldset").forEach(geoapiMarkChoices);
    await geoapiQueue(form, {kind: "report", url: "/issues", body: body, photos: photos,
      photosTo: "id", form: "form.report", label: label});
  });
});

// The chosen answer of each line lights up, and a failed line offers partial credit, by classes
// set here rather than CSS :has(), which older WebViews (some WeChat builds) lack.
function geoapiMarkChoices(fieldset) {
  fieldset.querySelectorAll("label").forEach(label => {
    const input = label.querySelector("input[type=radio]");
    if (input) label.classList.toggle("checked", input.checked);
  });
  fieldset.classList.toggle("failed", !!fieldset.querySelector("input[value=fail]:checked"));
}
document.addEventListener("change", event => {
  const fieldset = event.target.type === "radio" && event.target.closest("fieldset");
  if (fieldset) geoapiMarkChoices(fieldset);
});
document.querySelectorAll("form fieldset").forEach(geoapiMarkChoices);

// Sent when the connection returns, and whenever the page opens.
window.addEventListener("online", () => geoapiFlush());
geoapiFlush();
