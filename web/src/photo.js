// Photos lose their metadata before they are encrypted: decoded to pixels and encoded anew as JPEG by
// the browser's own canvas, so nothing but pixels is carried. EXIF (GPS position, camera, time,
// owner), XMP, IPTC and comments all stay behind. The photo is turned upright first (EXIF orientation
// applied to the pixels), since the tag that said how to turn it is dropped. The name is neutral too:
// a camera's name for a file (IMG_20261201_083015.jpg) says when it was taken.

// HEIC and AVIF (iPhones, newer Androids) count as photos too: stripped where the browser can decode
// them, refused where it cannot, never sent as they are by default.
export const PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp", "image/heic", "image/heif", "image/avif"];
// A larger file is refused before it is decoded: its pixels could exhaust a phone's memory.
export const MAX_PHOTO_BYTES = 40 * 1024 * 1024;
export const MAX_SIDE = 2560; // pixels: enough to read a face or a number plate, small enough to send
const QUALITY = 0.85;

export function isPhoto(file) {
  return PHOTO_TYPES.includes(file.type);
}

// stripped(file, index) -> {data: Uint8Array, mediaType: "image/jpeg", filename: "photo-<index>.jpg"}
// Throws if the browser cannot decode the file as an image.
export async function stripped(file, index = 1) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff"; // a transparent PNG becomes white, not black, in a JPEG
  context.fillRect(0, 0, width, height);
  context.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const blob = await canvas.convertToBlob({ type: "image/jpeg", quality: QUALITY });
  return { data: new Uint8Array(await blob.arrayBuffer()), mediaType: "image/jpeg", filename: `photo-${index}.jpg` };
}
