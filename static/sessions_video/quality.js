// How a call's link is doing (call.js, and each pair of a couples session's mesh.js), read from
// a peer connection's statistics every few seconds: the round-trip time of the candidate pair
// in use and the share of packets lost since the last reading. On a poor link the video sent is
// lowered (half, then a quarter of its resolution), then audio only is suggested; after a good
// while it is raised again.

export const STATS_EVERY_MS = 3000;
// A call not connected this long after its peer connection opened, with no negotiation under
// way, restarts ICE from its impolite side (a new offer, new candidates).
export const STUCK_AFTER_MS = 8000;
const LOWEST_SCALE = 4;
const POOR_READINGS_BEFORE_LOWERING = 2;
const GOOD_READINGS_BEFORE_RAISING = 5;

// { quality: "Good" | "Fair" | "Poor", inbound }: the link of ``pc`` since ``previous`` (the
// ``inbound`` of the last reading, or null).
export async function linkQuality(pc, previous) {
  const stats = await pc.getStats();
  let rtt = null;
  let lost = 0;
  let received = 0;
  stats.forEach((report) => {
    if (report.type === "candidate-pair" && report.nominated && report.state === "succeeded") {
      rtt = report.currentRoundTripTime ?? rtt;
    }
    if (report.type === "inbound-rtp") {
      lost += report.packetsLost || 0;
      received += report.packetsReceived || 0;
    }
  });
  let loss = 0;
  if (previous) {
    const sent = lost - previous.lost + (received - previous.received);
    loss = sent > 0 ? (lost - previous.lost) / sent : 0;
  }
  let quality = "Poor";
  if ((rtt === null || rtt < 0.15) && loss < 0.02) quality = "Good";
  else if ((rtt === null || rtt < 0.4) && loss < 0.08) quality = "Fair";
  return { quality, inbound: { lost, received } };
}

// Counts the readings and says what to do with the video sent: ``step(quality, scale,
// sendingVideo)`` answers the next scale (twice lower, twice higher, or the same), or
// "audio-only" when it is as low as it goes and the link is still poor. While no video is sent
// it only counts.
export function videoScaler() {
  let poor = 0;
  let good = 0;
  return (quality, scale, sendingVideo) => {
    poor = quality === "Poor" ? poor + 1 : 0;
    good = quality === "Good" ? good + 1 : 0;
    if (!sendingVideo) return scale;
    if (poor >= POOR_READINGS_BEFORE_LOWERING) {
      poor = 0;
      return scale < LOWEST_SCALE ? scale * 2 : "audio-only";
    }
    if (good >= GOOD_READINGS_BEFORE_RAISING && scale > 1) {
      good = 0;
      return scale / 2;
    }
    return scale;
  };
}

// Scale down the video ``sender`` sends (1: whole; 2: half its resolution; 4: a quarter).
// "done", "none" when it sends nothing to scale, or "failed" (the browser refused).
export async function scaleSent(sender, scale) {
  const parameters = sender.getParameters();
  if (!parameters.encodings?.length) return "none";
  for (const encoding of parameters.encodings) encoding.scaleResolutionDownBy = scale;
  try {
    await sender.setParameters(parameters);
  } catch (error) {
    console.warn("call: could not change the video's resolution", error);
    return "failed";
  }
  return "done";
}
