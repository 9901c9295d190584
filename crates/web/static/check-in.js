// 扫码入企: on 签到 the phone is asked where it is, and the place goes with the form
// (latitude, longitude, accuracy). The check-in never waits on it for long and never
// fails for it: refused, slow or absent (no script, no signal, a desktop), the form
// posts without a place and the page says so beside the check-in.
{
  const form = document.querySelector('form[data-check-in]');
  if (form && navigator.geolocation) {
    const status = form.querySelector('[data-geo-status]');
    const button = form.querySelector('button[type=submit]');
    let asked = false;
    // Back to this page from the next one (the browser's cache): the form works again.
    window.addEventListener('pageshow', () => {
      asked = false;
      button.disabled = false;
    });
    form.addEventListener('submit', (event) => {
      if (asked || form.elements.latitude.value) return;
      if (!form.reportValidity()) return;
      event.preventDefault();
      asked = true;
      button.disabled = true;
      if (status) status.textContent = '正在获取位置……';
      // Once: the place, its refusal, or ten seconds without either (a prompt left
      // unanswered, a webview that never asks), whichever comes first.
      let sent = false;
      const send = () => {
        if (sent) return;
        sent = true;
        form.submit();
      };
      setTimeout(send, 10000);
      navigator.geolocation.getCurrentPosition(
        (p) => {
          form.elements.latitude.value = p.coords.latitude.toFixed(6);
          form.elements.longitude.value = p.coords.longitude.toFixed(6);
          form.elements.accuracy.value = String(Math.round(p.coords.accuracy));
          send();
        },
        send,
        { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 },
      );
    });
  }
}
