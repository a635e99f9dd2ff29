// The camera's QR scanner, shared by the wallet (a shop's code) and the shop (a customer's code):
// frames from the back camera are read with jsQR (web/vendor) every 150 ms until a code `accept`s.
//   const stop = await scanQr($('#scan-video'), { accept: (text) => text.startsWith('LC1'),
//     opened: () => ..., found: (text) => ..., stopped: () => ... });
// Resolves to a stop function (the camera is released, the video hidden, then `stopped` runs), or
// null when no camera could be opened. `opened` runs once the camera is open and the video shown;
// a found code stops the camera itself before `found`.
export async function scanQr(video, { accept = () => true, opened = () => {}, found, stopped = () => {} }) {
  let media;
  try {
    media = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  } catch {
    return null;
  }
  video.srcObject = media;
  video.hidden = false;
  opened();
  await video.play();
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', { willReadFrequently: true });
  let done = false;
  const stop = () => {
    if (done) return;
    done = true;
    media.getTracks().forEach((track) => track.stop());
    video.hidden = true;
    stopped();
  };
  const tick = () => {
    if (done) return;
    if (video.videoWidth > 0) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0);
      const image = context.getImageData(0, 0, canvas.width, canvas.height);
      const code = globalThis.jsQR(image.data, image.width, image.height, { inversionAttempts: 'dontInvert' });
      if (code?.data && accept(code.data)) {
        stop();
        found(code.data);
        return;
      }
    }
    setTimeout(tick, 150);
  };
  tick();
  return stop;
}
