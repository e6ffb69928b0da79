// A drop target around a file input: drag a photo onto it or click to pick one.
import { h, replace } from './dom.js';

const ACCEPTED = /^image\/(jpeg|png|webp|bmp)$/;

// onFile(file) is called with each picked or dropped image; returns a reset() function.
export function attachDropzone({ zone, input, preview, title, onFile, onReject }) {
  const original = title ? title.textContent : '';
  let objectUrl = null;

  function show(file) {
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = URL.createObjectURL(file);
    if (preview) {
      const img = h('img', { src: objectUrl, alt: 'the chosen photo' });
      img.addEventListener('error', () => img.remove());  // not an image after all: the server says why
      replace(preview, img);
    }
    if (title) title.textContent = file.name || 'photo';
    zone.classList.add('has-file');
  }

  function take(file) {
    if (!file) return;
    if (file.type && !ACCEPTED.test(file.type)) {
      onReject && onReject(`"${file.name}" is not a JPEG, PNG, WebP or BMP image.`);
      return;
    }
    show(file);
    onFile(file);
  }

  input.addEventListener('change', () => take(input.files && input.files[0]));
  for (const ev of ['dragenter', 'dragover']) {
    zone.addEventListener(ev, (e) => { e.preventDefault(); zone.classList.add('dragover'); });
  }
  for (const ev of ['dragleave', 'dragend']) {
    zone.addEventListener(ev, () => zone.classList.remove('dragover'));
  }
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('dragover');
    take(e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0]);
  });

  return function reset() {
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = null;
    input.value = '';
    if (preview) replace(preview);
    if (title) title.textContent = original;
    zone.classList.remove('has-file');
  };
}
