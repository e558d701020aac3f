// Adds watched profiles to keyrot's config.ini as text: every existing byte stays (comments, order,
// spacing, line endings), and the new sections go at the end in the file's own line-ending style. The
// file is never parsed and written back: an INI writer would drop the person's comments and layout.

/** One `[profile NAME]` section to add. */
export interface ProfileSection {
  name: string;
  maxAgeDays: number;
}

/** The settings text with `sections` appended; `existing` null means a new file. */
export function withProfileSections(
  existing: string | null,
  sections: ProfileSection[],
  note: string,
): string {
  const eol = existing?.includes('\r\n') ? '\r\n' : '\n';
  const blocks = sections.map((section) =>
    [`[profile ${section.name}]`, `max_age_days = ${section.maxAgeDays}`].join(eol),
  );
  const added = `# ${note}${eol}${blocks.join(eol + eol)}${eol}`;
  if (existing === null || existing.replace(/^\uFEFF/, '') === '') {
    return `${existing ?? ''}# keyrot's settings: each [profile NAME] section is a watched profile.${eol}${added}`;
  }
  const ended = existing.endsWith('\n') ? existing : existing + eol;
  return `${ended}${eol}${added}`;
}
