import * as fs from 'fs';
import * as path from 'path';
import { CfnResource, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * The synthesized app as the rules see it: every stack's template (read from the cloud assembly, or
 * rendered from the construct tree), each resource with the construct that made it.
 *
 * Nested stacks are stacks of their own, linked to the `AWS::CloudFormation::Stack` resource of their
 * parent, so that parameters and outputs can be followed across the boundary.
 */
export interface StackModel {
  /** The construct path of the stack. */
  readonly path: string;
  /** The stack construct. */
  readonly stack: Stack;
  /** The template file, when the template was read from the cloud assembly. */
  readonly templatePath?: string;
  /** The region, when the stack has a literal one. */
  readonly region?: string;
  /** The account, when the stack has a literal one. */
  readonly account?: string;
  /**
   * The stack whose account and region this one deploys into: the top-level stack of a nested stack,
   * the stack itself otherwise. Two stacks with the same env root share `AWS::Region` and `AWS::AccountId`.
   */
  readonly envRoot: StackModel;
  readonly resources: ReadonlyMap<string, ResourceModel>;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly outputs: Readonly<
    Record<string, { readonly Value?: unknown; readonly Export?: { readonly Name?: unknown } }>
  >;
  readonly mappings: Readonly<Record<string, Record<string, Record<string, unknown>>>>;
  /** The parent stack and the logical id of this nested stack's `AWS::CloudFormation::Stack` resource. */
  readonly parent?: { readonly stack: StackModel; readonly logicalId: string };
  /** The nested stacks of this stack, by the logical id of their `AWS::CloudFormation::Stack` resource. */
  readonly nested: ReadonlyMap<string, StackModel>;
}

/** One resource of a template. */
export interface ResourceModel {
  readonly stack: StackModel;
  readonly logicalId: string;
  readonly type: string;
  readonly properties: Readonly<Record<string, unknown>>;
  /** The construct that made the resource, when it is in the tree. */
  readonly construct?: IConstruct;
  /** The construct path, or the template's `aws:cdk:path` metadata, or the logical id. */
  readonly path: string;
}

/** The whole app: stacks, resources by type, and the exports of every stack. */
export class AppModel {
  public readonly stacks: StackModel[];
  private readonly byType = new Map<string, ResourceModel[]>();
  private exportsByName?: Map<string, { readonly stack: StackModel; readonly value: unknown }>;

  constructor(stacks: StackModel[]) {
    this.stacks = stacks;
    for (const stack of stacks) {
      for (const resource of stack.resources.values()) {
        const list = this.byType.get(resource.type);
        if (list) {
          list.push(resource);
        } else {
          this.byType.set(resource.type, [resource]);
        }
      }
    }
  }

  /** Every resource of the given CloudFormation type, in template order. */
  public resourcesOfType(type: string): readonly ResourceModel[] {
    return this.byType.get(type) ?? [];
  }

  /**
   * The stack and value of the export with this literal name, when a stack of the app exports it.
   * Export names are computed once, on first use.
   */
  public exportNamed(
    name: string,
    literalName: (stack: StackModel, expression: unknown) => string | undefined,
  ): { readonly stack: StackModel; readonly value: unknown } | undefined {
    if (this.exportsByName === undefined) {
      this.exportsByName = new Map();
      for (const stack of this.stacks) {
        for (const output of Object.values(stack.outputs)) {
          const exportName = output?.Export?.Name === undefined ? undefined : literalName(stack, output.Export.Name);
          if (exportName !== undefined) {
            this.exportsByName.set(exportName, { stack, value: output.Value });
          }
        }
      }
    }
    return this.exportsByName.get(name);
  }
}

/** Where a top-level stack's template is, or undefined to leave the stack (and its nested stacks) out. */
export type TemplateSource = (stack: Stack) => { readonly templatePath?: string } | undefined;

/**
 * Builds the model of the app holding `root`: every stack under `root` for which `sourceOf` gives a
 * template (a top-level stack's decides for its nested stacks). A template is read from its file when
 * there is one and the file can be read; otherwise it is rendered from the construct tree, which gives the
 * same template once the app is synthesized (before, references across stacks are not yet resolved and
 * the rules stay silent on them).
 */
export function buildAppModel(root: IConstruct, sourceOf: TemplateSource): AppModel {
  const stacks: Stack[] = [];
  const cfnResources = new Map<Stack, CfnResource[]>();
  for (const construct of root.node.findAll()) {
    if (Stack.isStack(construct)) {
      stacks.push(construct);
    } else if (CfnResource.isCfnResource(construct)) {
      const stack = Stack.of(construct);
      const list = cfnResources.get(stack);
      if (list) {
        list.push(construct);
      } else {
        cfnResources.set(stack, [construct]);
      }
    }
  }

  const models = new Map<Stack, StackModel>();
  const build = (stack: Stack): StackModel | undefined => {
    if (models.has(stack)) {
      return models.get(stack);
    }
    const parentStack = stack.nestedStackParent;
    let parent: StackModel | undefined;
    let templatePath: string | undefined;
    if (parentStack !== undefined) {
      parent = build(parentStack);
      if (parent === undefined) {
        return undefined;
      }
      // A nested stack's template is written next to its parent's.
      templatePath =
        parent.templatePath === undefined
          ? undefined
          : path.join(path.dirname(parent.templatePath), stack.templateFile);
    } else {
      const source = sourceOf(stack);
      if (source === undefined) {
        return undefined;
      }
      templatePath = source.templatePath;
    }
    const template = readTemplate(templatePath) ?? renderTemplate(stack);
    const model = stackModel(stack, template, templatePath, cfnResources.get(stack) ?? [], parent);
    models.set(stack, model);
    return model;
  };

  const result: StackModel[] = [];
  for (const stack of stacks) {
    const model = build(stack);
    if (model !== undefined) {
      result.push(model);
    }
  }
  return new AppModel(result);
}

function readTemplate(templatePath: string | undefined): any {
  if (templatePath === undefined) {
    return undefined;
  }
  try {
    return JSON.parse(fs.readFileSync(templatePath, 'utf-8'));
  } catch {
    return undefined;
  }
}

/**
 * The template of `stack` as synthesis renders it. aws-cdk-lib has no public method for this short of
 * synthesizing the whole app again; `_toCloudFormation` is what its synthesizers call.
 */
function renderTemplate(stack: Stack): any {
  const render = (stack as unknown as { _toCloudFormation?: () => unknown })._toCloudFormation;
  if (typeof render !== 'function') {
    return {};
  }
  try {
    return render.call(stack) ?? {};
  } catch {
    // A stack that cannot be rendered (an unresolvable token, a validation error) is not ours to report:
    // synthesis reports it. The rules see an empty stack.
    return {};
  }
}

function literal(value: string): string | undefined {
  return Token.isUnresolved(value) ? undefined : value;
}

function stackModel(
  stack: Stack,
  template: any,
  templatePath: string | undefined,
  constructs: CfnResource[],
  parent: StackModel | undefined,
): StackModel {
  const byLogicalId = new Map<string, CfnResource>();
  for (const construct of constructs) {
    try {
      byLogicalId.set(stack.resolve(construct.logicalId) as string, construct);
    } catch {
      // A logical id that cannot be resolved leaves its resource without a construct path.
    }
  }
  const resources = new Map<string, ResourceModel>();
  const nested = new Map<string, StackModel>();
  const envRoot = parent?.envRoot;
  const model: StackModel = {
    path: stack.node.path,
    stack,
    templatePath,
    region: envRoot?.region ?? literal(stack.region),
    account: envRoot?.account ?? literal(stack.account),
    get envRoot() {
      return envRoot ?? model;
    },
    resources,
    parameters: objectOrEmpty(template?.Parameters),
    outputs: objectOrEmpty(template?.Outputs) as StackModel['outputs'],
    mappings: objectOrEmpty(template?.Mappings) as StackModel['mappings'],
    parent: parent === undefined ? undefined : { stack: parent, logicalId: nestedLogicalId(stack, parent) },
    nested,
  };
  for (const [logicalId, resource] of Object.entries(objectOrEmpty(template?.Resources))) {
    const body = resource as Record<string, any> | undefined;
    if (body === undefined || body === null || typeof body.Type !== 'string') {
      continue;
    }
    const construct = byLogicalId.get(logicalId);
    const metadataPath = body.Metadata?.['aws:cdk:path'];
    resources.set(logicalId, {
      stack: model,
      logicalId,
      type: body.Type,
      properties: objectOrEmpty(body.Properties),
      construct,
      path:
        construct?.node.path ?? (typeof metadataPath === 'string' ? metadataPath : `${stack.node.path}/${logicalId}`),
    });
  }
  if (parent !== undefined) {
    (parent.nested as Map<string, StackModel>).set(model.parent!.logicalId, model);
  }
  return model;
}

function nestedLogicalId(stack: Stack, parent: StackModel): string {
  const resource = (stack as unknown as { nestedStackResource?: CfnResource }).nestedStackResource;
  if (resource === undefined) {
    return '';
  }
  try {
    return parent.stack.resolve(resource.logicalId) as string;
  } catch {
    return '';
  }
}

function objectOrEmpty(value: unknown): Record<string, any> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, any>) : {};
}
