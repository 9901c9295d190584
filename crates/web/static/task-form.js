// The task and plan forms: when the domain changes, the lead department follows it (the
// first department of that domain), unless the lead already belongs to it. The
// form works without this; it only saves a clerk a second choice that is easy to
// forget.
for (const domain of document.querySelectorAll('select[data-leads]')) {
  const lead = domain.form.elements[domain.dataset.leads];
  if (!lead) continue;
  domain.addEventListener('change', () => {
    const current = lead.selectedOptions[0];
    if (current && current.dataset.domain === domain.value) return;
    const match = [...lead.options].find((o) => o.dataset.domain === domain.value);
    if (match) lead.value = match.value;
  });
}
