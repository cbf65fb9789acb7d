// The camera, microphone and speaker pickers of the room page (select[data-device-kind]),
// usable before and during the call. A choice is remembered in this browser only
// (localStorage: a device id is this site's own and says nothing about a session).
const KEY_PREFIX = "room.device.";

function remembered(kind) {
  try {
    return localStorage.getItem(KEY_PREFIX + kind) || "";
  } catch {
    return ""; // storage refused (private window settings): nothing is remembered
  }
}

function remember(kind, deviceId) {
  try {
    localStorage.setItem(KEY_PREFIX + kind, deviceId);
  } catch {
    // as above
  }
}

// A speaker can be chosen only where the browser lets a page route its sound.
export const canChooseSpeaker = "setSinkId" in HTMLMediaElement.prototype;

// ``root``: the element holding the pickers. ``onChange(kind, deviceId)`` is called when the
// person picks another device; ``undo(kind)`` puts back the one in use if that one failed.
export function devicePickers(root) {
  const selects = new Map(
    [...root.querySelectorAll("select[data-device-kind]")].map((s) => [s.dataset.deviceKind, s]),
  );
  const inUse = new Map(); // kind -> the device id in use, as last confirmed
  let onChange = () => {};

  for (const [kind, select] of selects) {
    select.addEventListener("change", () => {
      remember(kind, select.value);
      onChange(kind, select.value);
    });
  }

  function field(select) {
    return select.closest("[data-device-field]");
  }

  return {
    // Fill the pickers with this browser's devices (their names are known once the page may
    // use the camera or microphone). A kind with no device, or the speaker where it cannot be
    // chosen, is hidden.
    async refresh() {
      const devices = await navigator.mediaDevices.enumerateDevices();
      for (const [kind, select] of selects) {
        const found = devices.filter((d) => d.kind === kind && d.deviceId);
        const wanted = inUse.get(kind) || select.value || remembered(kind);
        select.replaceChildren(
          ...found.map(
            (d, i) => new Option(d.label || `${root.dataset.textUnnamed} ${i + 1}`, d.deviceId),
          ),
        );
        if (found.some((d) => d.deviceId === wanted)) select.value = wanted;
        field(select).hidden = found.length === 0 || (kind === "audiooutput" && !canChooseSpeaker);
      }
    },
    // getUserMedia constraints asking for the chosen (or remembered) devices exactly; the
    // caller falls back to the default ones when a device has gone (OverconstrainedError).
    constraints(wantsVideo) {
      const pick = (kind) => {
        const deviceId = selects.get(kind)?.value || remembered(kind);
        return deviceId ? { deviceId: { exact: deviceId } } : true;
      };
      return { audio: pick("audioinput"), video: wantsVideo ? pick("videoinput") : false };
    },
    // The devices a stream actually uses, shown as chosen.
    using(stream) {
      for (const track of stream?.getTracks() || []) {
        const kind = track.kind === "audio" ? "audioinput" : "videoinput";
        const deviceId = track.getSettings().deviceId;
        if (deviceId) inUse.set(kind, deviceId);
        const select = selects.get(kind);
        if (select && deviceId && [...select.options].some((o) => o.value === deviceId)) {
          select.value = deviceId;
        }
      }
    },
    undo(kind) {
      const select = selects.get(kind);
      if (select && inUse.has(kind)) select.value = inUse.get(kind);
    },
    speaker() {
      return selects.get("audiooutput")?.value || remembered("audiooutput");
    },
    onChange(handler) {
      onChange = handler;
    },
  };
}

// Route an element's sound to the chosen speaker, where the browser can.
export async function routeSound(element, deviceId) {
  if (!canChooseSpeaker || !element || !deviceId) return;
  try {
    await element.setSinkId(deviceId);
  } catch (error) {
    console.warn("room: could not use that speaker", error);
  }
}

// Another camera or microphone during a call (``kind``: "audioinput" or "videoinput"): its
// track in place of the old one in ``stream`` (a new stream when there is none yet, the old
// track stopped). Returns { stream, track, media: "audio" | "video" }, or null when the device
// cannot be used.
export async function swapDeviceTrack(stream, kind, deviceId) {
  const media = kind === "audioinput" ? "audio" : "video";
  let track;
  try {
    const fresh = await navigator.mediaDevices.getUserMedia({
      [media]: { deviceId: { exact: deviceId } },
    });
    track = fresh.getTracks()[0];
  } catch (error) {
    console.warn("call: could not use that device", error);
    return null;
  }
  const kept = stream || new MediaStream();
  const old = kept.getTracks().find((t) => t.kind === media);
  if (old) {
    kept.removeTrack(old);
    old.stop();
  }
  kept.addTrack(track);
  return { stream: kept, track, media };
}
