// 名录导入: a directory of tens of thousands of rows takes a while to leave an office
// PC, so the form says how much has gone up, then that the file is being checked.
// Without this script the form posts as usual; with it, the same post goes through
// XMLHttpRequest (the one browser API that reports upload progress) and the page the
// server answers (the preview, or why the file was refused) replaces this one. In a
// block: the page written in runs this script again in the same window.
{
  const form = document.querySelector('form[data-upload-progress]');
  const LIMIT = 30 * 1024 * 1024; // the server's, said on the page
  if (form && window.XMLHttpRequest && window.FormData) {
    const bar = form.querySelector('progress');
    const status = form.querySelector('.upload-status');
    const button = form.querySelector('button[type=submit]');
    const size = (n, of) => (of < 1048576 ? `${Math.round(n / 1024)} KB` : `${(n / 1048576).toFixed(1)} MB`);
    const stop = (message) => {
      button.disabled = false;
      bar.hidden = true;
      status.hidden = false;
      status.textContent = message;
    };
    form.addEventListener('submit', (event) => {
      const file = form.elements.file.files[0];
      if (!file || !bar || !status) return;
      event.preventDefault();
      if (file.size > LIMIT) {
        stop(`文件 ${size(file.size, file.size)}，超过 30 MB，没有上传：请拆分后分批导入。`);
        return;
      }
      button.disabled = true;
      bar.hidden = false;
      status.hidden = false;
      bar.max = file.size || 1;
      bar.value = 0;
      status.textContent = `正在上传 ${file.name}……`;
      const xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      xhr.timeout = 10 * 60 * 1000;
      xhr.upload.addEventListener('progress', (e) => {
        if (!e.lengthComputable) return;
        bar.max = e.total;
        bar.value = e.loaded;
        status.textContent = `正在上传：${Math.floor((e.loaded * 100) / e.total)}%（${size(e.loaded, e.total)} / ${size(e.total, e.total)}）`;
      });
      xhr.upload.addEventListener('load', () => {
        bar.removeAttribute('value'); // indeterminate: the server is reading the rows
        status.textContent = '上传完成，正在逐行检查文件（大文件约需数秒），请稍候……';
      });
      xhr.addEventListener('load', () => {
        const type = xhr.getResponseHeader('Content-Type') || '';
        if (!type.startsWith('text/html')) {
          // Not one of liancha's pages (a proxy's answer, an empty 413): say so here.
          stop(`服务器未能处理这次上传（${xhr.status} ${xhr.statusText}），文件没有导入，请稍后重试。`);
          return;
        }
        document.open();
        document.write(xhr.responseText);
        document.close();
        const preview = document.getElementById('preview');
        if (preview) preview.scrollIntoView();
      });
      const failed = () => stop('上传中断（网络或服务器无响应），文件没有导入，请重新上传。');
      xhr.addEventListener('error', failed);
      xhr.addEventListener('abort', failed);
      xhr.addEventListener('timeout', failed);
      xhr.send(new FormData(form));
    });
  }
}
