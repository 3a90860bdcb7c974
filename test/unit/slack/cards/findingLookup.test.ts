import { describe, expect, it } from 'vitest';
import { renderFindingCard } from '../../../../src/slack/cards/findingCard';
import { renderFindingLookup } from '../../../../src/slack/cards/findingLookup';
import { blockById, blockKitViolations, blockText, mrkdwnWithoutOwnTokens } from './blockKit';
import { credentialExfiltrationFinding, HOSTILE, HUGE, sshBruteForceFinding } from './findings';

const CARD = 'https://example.slack.com/archives/C0123/p1741701913000100';

describe('Function: renderFindingLookup', () => {
  it('shows the same facts as the card, without buttons', () => {
    // Prepare
    const finding = credentialExfiltrationFinding();
    const card = renderFindingCard({ finding, actions: ['isolate', 'investigate', 'dismiss'] });

    // Act
    const lookup = renderFindingLookup(finding, CARD);

    // Assess
    expect(blockKitViolations(lookup)).toEqual([]);
    expect(lookup.blocks.some((b) => b.type === 'actions')).toBe(false);
    for (const id of [
      'finding_header',
      'finding_title',
      'finding_facts',
      'finding_meta',
      'finding_links',
    ]) {
      expect(lookup.blocks.find((b) => b.block_id === id)).toEqual(
        card.blocks.find((b) => b.block_id === id)
      );
    }
    expect(lookup.text).toBe(card.text);
  });

  it('adds the description under the title', () => {
    // Prepare
    const finding = sshBruteForceFinding();

    // Act
    const lookup = renderFindingLookup(finding);

    // Assess
    const ids = lookup.blocks.map((b) => b.block_id);
    expect(ids.indexOf('finding_description')).toBe(ids.indexOf('finding_title') + 1);
    expect(blockById(lookup, 'finding_description', 'section')?.text?.text).toBe(
      finding.description
    );
  });

  it('links to the card when a card link is given', () => {
    // Prepare
    const finding = sshBruteForceFinding();

    // Act
    const lookup = renderFindingLookup(finding, CARD);

    // Assess
    expect(blockText(blockById(lookup, 'finding_placement', 'context'))).toBe(
      `Card: <${CARD}|open the card>`
    );
  });

  it('says the finding was gathered into a storm digest', () => {
    // Prepare
    const finding = sshBruteForceFinding();

    // Act
    const plain = renderFindingLookup(finding, { inDigest: true });
    const linked = renderFindingLookup(finding, { digestLink: CARD });
    const viaCardLink = renderFindingLookup(finding, { cardLink: CARD, inDigest: true });

    // Assess
    expect(blockText(blockById(plain, 'finding_placement', 'context'))).toBe(
      'Gathered into a storm digest'
    );
    for (const message of [linked, viaCardLink]) {
      expect(blockText(blockById(message, 'finding_placement', 'context'))).toBe(
        `Gathered into a <${CARD}|storm digest>`
      );
    }
  });

  it('shows no placement line when nothing is known about the card', () => {
    // Prepare
    const finding = sshBruteForceFinding();

    // Act
    const lookup = renderFindingLookup(finding);

    // Assess
    expect(lookup.blocks.some((b) => b.block_id === 'finding_placement')).toBe(false);
  });

  it('shows an archived finding as archived', () => {
    // Prepare
    const finding = { ...sshBruteForceFinding(), archived: true };

    // Act
    const lookup = renderFindingLookup(finding, CARD);

    // Assess
    expect(blockText(blockById(lookup, 'finding_status', 'context'))).toBe('Archived in GuardDuty');
  });

  it('keeps hostile text inert and long text truncated', () => {
    // Prepare
    const finding = sshBruteForceFinding();
    finding.title = HOSTILE;
    finding.description = `${HOSTILE} ${HUGE}`;
    if (finding.actor) finding.actor.userAgent = HOSTILE;

    // Act
    const lookup = renderFindingLookup(finding, 'https://evil.example|click');

    // Assess
    expect(blockKitViolations(lookup)).toEqual([]);
    expect(mrkdwnWithoutOwnTokens(lookup)).not.toMatch(/[<>]/);
    expect(blockById(lookup, 'finding_description', 'section')?.text?.text.endsWith('…')).toBe(
      true
    );
    expect(blockText(blockById(lookup, 'finding_placement', 'context'))).toBe(
      'Card: open the card'
    );
  });
});
