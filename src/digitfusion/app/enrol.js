// The enrol panel: walks the person through 0-9 (say it; optionally write it in the drawing box), has the server
// turn the takes into a profile, keeps that profile in this browser session (sessionStorage) or downloads it;
// every later answer sends it along (window.enrolProfile, read by the page's Recognise button).
const PROFILE_KEY = "digitfusion-profile";
const takes = { audio: {}, image: {} };
let step = 0, enrolAudio = null, enrolStream, enrolContext, enrolProcessor, enrolChunks = [];
const byId = id => document.getElementById(id);
const count = kind => Object.keys(takes[kind]).length;

function showStep() {
  byId("enrol-digit").textContent = step < 10 ? step : "—";
  byId("enrol-prompt").textContent = step < 10 ? `Say “${step}” (and, if you like, write it in the drawing box), then keep it.`
    : "All ten done: make the profile.";
  byId("enrol-progress").textContent = `${count("audio")} recordings, ${count("image")} drawings kept`;
  byId("enrol-build").disabled = !count("audio") && !count("image");
}
byId("enrol-record").onclick = async () => {
  enrolStream = await navigator.mediaDevices.getUserMedia({ audio: true });
  enrolContext = new AudioContext();
  const source = enrolContext.createMediaStreamSource(enrolStream);
  enrolProcessor = enrolContext.createScriptProcessor(4096, 1, 1);
  enrolChunks = [];
  enrolProcessor.onaudioprocess = e => enrolChunks.push(new Float32Array(e.inputBuffer.getChannelData(0)));
  source.connect(enrolProcessor); enrolProcessor.connect(enrolContext.destination);
  byId("enrol-record").disabled = true; byId("enrol-stop").disabled = false;
};
byId("enrol-stop").onclick = () => {
  enrolProcessor.disconnect(); enrolStream.getTracks().forEach(t => t.stop());
  enrolAudio = encodeWav(enrolChunks, enrolContext.sampleRate); enrolContext.close();
  byId("enrol-record").disabled = false; byId("enrol-stop").disabled = true;
};
byId("enrol-keep").onclick = async () => {
  if (step > 9) return;
  if (enrolAudio) takes.audio[step] = enrolAudio;
  if (drawn) { takes.image[step] = await new Promise(r => canvas.toBlob(r, "image/png")); clearCanvas(); }
  enrolAudio = null; step += 1; showStep();
};
byId("enrol-skip").onclick = () => { enrolAudio = null; step = Math.min(step + 1, 10); showStep(); };
byId("enrol-files").onchange = e => {  // files named {digit}..., e.g. 3.wav, 7_mine.png
  for (const file of e.target.files) {
    if (!/^[0-9]/.test(file.name)) continue;
    takes[/\.(png|jpe?g|gif|bmp|webp|tiff?)$/i.test(file.name) ? "image" : "audio"][file.name[0]] = file;
  }
  showStep();
};
byId("enrol-build").onclick = async () => {
  const form = new FormData();
  byId("enrol-error").textContent = "";
  for (const [d, blob] of Object.entries(takes.audio)) form.append(`audio_${d}`, blob, blob.name || `${d}.wav`);
  for (const [d, blob] of Object.entries(takes.image)) form.append(`image_${d}`, blob, blob.name || `${d}.png`);
  form.append("name", byId("enrol-name").value || "me");
  const response = await fetch("/api/enrol", { method: "POST", body: form });
  const data = await response.json();
  if (!response.ok) { byId("enrol-error").textContent = data.error; return; }
  storeProfile(JSON.stringify(data));
};
function storeProfile(text) { sessionStorage.setItem(PROFILE_KEY, text); showProfile(); }
function showProfile() {
  const text = sessionStorage.getItem(PROFILE_KEY);
  byId("profile-active").hidden = !text;
  if (!text) { byId("profile-status").textContent = "No profile: answers come from the model alone."; return; }
  const profile = JSON.parse(text), n = m => (profile.modalities[m] ? profile.modalities[m].labels.length : 0);
  byId("profile-status").textContent = `Profile “${profile.name}” in use: ${n("audio")} recordings, ${n("image")} drawings.`;
  const link = byId("profile-download");
  link.href = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  link.download = `${profile.name}.profile.json`;
}
byId("profile-remove").onclick = () => { sessionStorage.removeItem(PROFILE_KEY); showProfile(); };
byId("profile-file").onchange = async e => {  // a profile downloaded earlier: the server checks it fits its model
  const text = await e.target.files[0].text(), form = new FormData();
  form.append("profile", text);
  const response = await fetch("/api/profile", { method: "POST", body: form });
  const data = await response.json();
  byId("enrol-error").textContent = response.ok ? "" : data.error;
  if (response.ok) storeProfile(text);
};
window.enrolProfile = () => sessionStorage.getItem(PROFILE_KEY);
showStep(); showProfile();
