/**
 * Block Kit limits as Slack enforces them (DESIGN.md §4, reference/slack-platform.md §1.5). Lengths
 * are counted in UTF-16 code units, which is at least as strict as Slack's character count.
 */
export const BLOCK_KIT_LIMITS = {
  messageText: 40_000,
  messageBlocks: 50,
  viewBlocks: 100,
  attachments: 100,
  blockId: 255,
  headerText: 150,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  actionId: 255,
  buttonValue: 2000,
  buttonUrl: 3000,
  accessibilityLabel: 75,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  imageAltText: 2000,
  imageUrl: 3000,
  inputLabel: 2000,
  optionText: 75,
  optionValue: 150,
  options: 100,
  viewTitle: 24,
  viewSubmit: 24,
  viewClose: 24,
} as const;

/** Options for {@link findBlockKitViolations}. */
export interface BlockKitCheckOptions {
  /** Maximum number of blocks. Default 50 (a message); modals allow 100. */
  maxBlocks?: number;
  /** Whether top-level `text` is required when blocks are present. Default true (messages). */
  requireText?: boolean;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks a message (or a view, with options) against Slack's Block Kit limits and returns one
 * human-readable line per violation, e.g. `blocks[3].fields[2].text: 2105 chars > 2000`. An empty
 * array means the message is acceptable.
 */
export function findBlockKitViolations(
  message: { text?: unknown; blocks?: unknown; attachments?: unknown },
  options: BlockKitCheckOptions = {}
): string[] {
  const checker = new Checker();
  const maxBlocks = options.maxBlocks ?? BLOCK_KIT_LIMITS.messageBlocks;
  let blockCount = 0;

  if (message.text !== undefined && message.text !== null && typeof message.text !== 'string') {
    checker.add('text', 'must be a string');
  } else if (
    typeof message.text === 'string' &&
    message.text.length > BLOCK_KIT_LIMITS.messageText
  ) {
    checker.add('text', `${message.text.length} chars > ${BLOCK_KIT_LIMITS.messageText}`);
  }
  if (message.blocks !== undefined && message.blocks !== null) {
    if (Array.isArray(message.blocks)) {
      blockCount += message.blocks.length;
      checker.blocks('blocks', message.blocks, maxBlocks);
    } else {
      checker.add('blocks', 'must be an array');
    }
  }
  if (message.attachments !== undefined && message.attachments !== null) {
    if (Array.isArray(message.attachments)) {
      if (message.attachments.length > BLOCK_KIT_LIMITS.attachments) {
        checker.add(
          'attachments',
          `${message.attachments.length} attachments > ${BLOCK_KIT_LIMITS.attachments}`
        );
      }
      message.attachments.forEach((attachment, index) => {
        if (isObject(attachment) && Array.isArray(attachment.blocks)) {
          blockCount += attachment.blocks.length;
          checker.blocks(`attachments[${index}].blocks`, attachment.blocks, maxBlocks);
        }
      });
    } else {
      checker.add('attachments', 'must be an array');
    }
  }
  const textMissing = typeof message.text !== 'string' || message.text.trim() === '';
  if ((options.requireText ?? true) && blockCount > 0 && textMissing) {
    checker.add('text', 'top-level text must be set when blocks are present');
  }
  return checker.violations;
}

/**
 * Checks a modal view (`views.open` / `views.update`): up to 100 blocks, title, submit and close.
 */
export function findViewViolations(view: unknown): string[] {
  if (!isObject(view)) return ['view: must be an object'];
  const checker = new Checker();
  if (Array.isArray(view.blocks)) {
    checker.blocks('view.blocks', view.blocks, BLOCK_KIT_LIMITS.viewBlocks);
  } else {
    checker.add('view.blocks', 'must be an array');
  }
  checker.textObject('view.title', view.title, BLOCK_KIT_LIMITS.viewTitle, { plainOnly: true });
  if (view.submit !== undefined) {
    checker.textObject('view.submit', view.submit, BLOCK_KIT_LIMITS.viewSubmit, {
      plainOnly: true,
    });
  }
  if (view.close !== undefined) {
    checker.textObject('view.close', view.close, BLOCK_KIT_LIMITS.viewClose, { plainOnly: true });
  }
  return checker.violations;
}

class Checker {
  readonly violations: string[] = [];
  private readonly blockIds = new Set<string>();
  private readonly actionIds = new Set<string>();

  add(path: string, problem: string): void {
    this.violations.push(`${path}: ${problem}`);
  }

  blocks(path: string, blocks: unknown[], maxBlocks: number): void {
    if (blocks.length > maxBlocks) this.add(path, `${blocks.length} blocks > ${maxBlocks}`);
    blocks.forEach((block, index) => {
      this.block(`${path}[${index}]`, block);
    });
  }

  private block(path: string, block: unknown): void {
    if (!isObject(block)) {
      this.add(path, 'must be an object');
      return;
    }
    if (block.block_id !== undefined) {
      if (this.string(`${path}.block_id`, block.block_id, BLOCK_KIT_LIMITS.blockId)) {
        const id = block.block_id as string;
        if (this.blockIds.has(id)) this.add(`${path}.block_id`, `duplicate block_id '${id}'`);
        this.blockIds.add(id);
      }
    }
    switch (block.type) {
      case 'header':
        this.textObject(`${path}.text`, block.text, BLOCK_KIT_LIMITS.headerText, {
          plainOnly: true,
        });
        break;
      case 'section':
        this.section(path, block);
        break;
      case 'context':
        this.elements(path, block.elements, BLOCK_KIT_LIMITS.contextElements, (p, e) =>
          this.contextElement(p, e)
        );
        break;
      case 'actions':
        this.elements(path, block.elements, BLOCK_KIT_LIMITS.actionsElements, (p, e) =>
          this.element(p, e)
        );
        break;
      case 'image':
        this.image(path, block);
        if (block.title !== undefined) {
          this.textObject(`${path}.title`, block.title, 2000, { plainOnly: true });
        }
        break;
      case 'input':
        this.textObject(`${path}.label`, block.label, BLOCK_KIT_LIMITS.inputLabel, {
          plainOnly: true,
        });
        if (block.hint !== undefined) {
          this.textObject(`${path}.hint`, block.hint, 2000, { plainOnly: true });
        }
        this.element(`${path}.element`, block.element);
        break;
      case 'divider':
      case 'rich_text':
      case 'file':
      case 'video':
      case 'markdown':
        break;
      case undefined:
        this.add(`${path}.type`, 'missing');
        break;
      default:
        if (typeof block.type !== 'string') this.add(`${path}.type`, 'must be a string');
    }
  }

  private section(path: string, block: Json): void {
    if (block.text === undefined && block.fields === undefined) {
      this.add(path, 'section needs text or fields');
    }
    if (block.text !== undefined) {
      this.textObject(`${path}.text`, block.text, BLOCK_KIT_LIMITS.sectionText);
    }
    if (block.fields !== undefined) {
      if (!Array.isArray(block.fields)) {
        this.add(`${path}.fields`, 'must be an array');
      } else {
        if (block.fields.length > BLOCK_KIT_LIMITS.sectionFields) {
          this.add(
            `${path}.fields`,
            `${block.fields.length} fields > ${BLOCK_KIT_LIMITS.sectionFields}`
          );
        }
        block.fields.forEach((field, index) => {
          this.textObject(`${path}.fields[${index}]`, field, BLOCK_KIT_LIMITS.sectionFieldText);
        });
      }
    }
    if (block.accessory !== undefined) {
      if (isObject(block.accessory) && block.accessory.type === 'image') {
        this.image(`${path}.accessory`, block.accessory);
      } else {
        this.element(`${path}.accessory`, block.accessory);
      }
    }
  }

  private elements(
    path: string,
    elements: unknown,
    max: number,
    check: (path: string, element: unknown) => void
  ): void {
    if (!Array.isArray(elements)) {
      this.add(`${path}.elements`, 'must be an array');
      return;
    }
    if (elements.length > max) this.add(`${path}.elements`, `${elements.length} elements > ${max}`);
    elements.forEach((element, index) => {
      check(`${path}.elements[${index}]`, element);
    });
  }

  private contextElement(path: string, element: unknown): void {
    if (isObject(element) && element.type === 'image') {
      this.image(path, element);
    } else {
      this.textObject(path, element, 3000);
    }
  }

  private image(path: string, image: Json): void {
    this.string(`${path}.alt_text`, image.alt_text, BLOCK_KIT_LIMITS.imageAltText);
    if (image.image_url !== undefined) {
      this.string(`${path}.image_url`, image.image_url, BLOCK_KIT_LIMITS.imageUrl);
    }
  }

  /** An interactive element (button, select, overflow, date picker, input…). */
  private element(path: string, element: unknown): void {
    if (!isObject(element)) {
      this.add(path, 'must be an object');
      return;
    }
    if (typeof element.type !== 'string') this.add(`${path}.type`, 'missing');
    if (element.action_id !== undefined) {
      if (this.string(`${path}.action_id`, element.action_id, BLOCK_KIT_LIMITS.actionId)) {
        const id = element.action_id as string;
        if (this.actionIds.has(id)) this.add(`${path}.action_id`, `duplicate action_id '${id}'`);
        this.actionIds.add(id);
      }
    }
    if (element.type === 'button') {
      this.textObject(`${path}.text`, element.text, BLOCK_KIT_LIMITS.buttonText, {
        plainOnly: true,
      });
      if (element.value !== undefined) {
        this.string(`${path}.value`, element.value, BLOCK_KIT_LIMITS.buttonValue);
      }
      if (element.url !== undefined) {
        this.string(`${path}.url`, element.url, BLOCK_KIT_LIMITS.buttonUrl);
      }
      if (element.accessibility_label !== undefined) {
        this.string(
          `${path}.accessibility_label`,
          element.accessibility_label,
          BLOCK_KIT_LIMITS.accessibilityLabel
        );
      }
      this.style(`${path}.style`, element.style);
    }
    if (element.placeholder !== undefined) {
      this.textObject(`${path}.placeholder`, element.placeholder, 150, { plainOnly: true });
    }
    if (element.options !== undefined) this.options(`${path}.options`, element.options);
    if (element.confirm !== undefined) this.confirm(`${path}.confirm`, element.confirm);
  }

  private options(path: string, options: unknown): void {
    if (!Array.isArray(options)) {
      this.add(path, 'must be an array');
      return;
    }
    if (options.length > BLOCK_KIT_LIMITS.options) {
      this.add(path, `${options.length} options > ${BLOCK_KIT_LIMITS.options}`);
    }
    options.forEach((option, index) => {
      const optionPath = `${path}[${index}]`;
      if (!isObject(option)) {
        this.add(optionPath, 'must be an object');
        return;
      }
      this.textObject(`${optionPath}.text`, option.text, BLOCK_KIT_LIMITS.optionText);
      this.string(`${optionPath}.value`, option.value, BLOCK_KIT_LIMITS.optionValue);
    });
  }

  private confirm(path: string, confirm: unknown): void {
    if (!isObject(confirm)) {
      this.add(path, 'must be an object');
      return;
    }
    this.textObject(`${path}.title`, confirm.title, BLOCK_KIT_LIMITS.confirmTitle, {
      plainOnly: true,
    });
    this.textObject(`${path}.text`, confirm.text, BLOCK_KIT_LIMITS.confirmText);
    this.textObject(`${path}.confirm`, confirm.confirm, BLOCK_KIT_LIMITS.confirmButton, {
      plainOnly: true,
    });
    this.textObject(`${path}.deny`, confirm.deny, BLOCK_KIT_LIMITS.confirmButton, {
      plainOnly: true,
    });
    this.style(`${path}.style`, confirm.style);
  }

  private style(path: string, style: unknown): void {
    if (style !== undefined && style !== 'primary' && style !== 'danger') {
      this.add(path, `style ${JSON.stringify(style)} is not primary or danger`);
    }
  }

  /** A text object `{ type: 'plain_text' | 'mrkdwn', text }`; reports on `<path>.text`. */
  textObject(
    path: string,
    value: unknown,
    max: number,
    options: { plainOnly?: boolean } = {}
  ): void {
    if (!isObject(value)) {
      this.add(path, 'must be a text object');
      return;
    }
    if (value.type !== 'plain_text' && value.type !== 'mrkdwn') {
      this.add(`${path}.type`, `${JSON.stringify(value.type)} is not plain_text or mrkdwn`);
    } else if (options.plainOnly && value.type !== 'plain_text') {
      this.add(`${path}.type`, 'must be plain_text');
    }
    if (this.string(`${path}.text`, value.text, max) && (value.text as string).length === 0) {
      this.add(`${path}.text`, 'must not be empty');
    }
  }

  /** Checks a string's presence and length; true when it is a string (whatever its length). */
  private string(path: string, value: unknown, max: number): boolean {
    if (typeof value !== 'string') {
      this.add(path, value === undefined ? 'missing' : 'must be a string');
      return false;
    }
    if (value.length > max) this.add(path, `${value.length} chars > ${max}`);
    return true;
  }
}
