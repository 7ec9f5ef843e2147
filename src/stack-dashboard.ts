import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct, IConstruct } from 'constructs';
import { WidgetGroup } from './private/dashboard/widget-group';
import { stackSingleton } from './private/stack-singleton';
import { invalidProp, methodArgument } from './private/validation';

const CONSTRUCT_ID = 'DecouplingPatternsDashboard';

/** How far back the dashboard looks when opened. */
const DEFAULT_INTERVAL = Duration.hours(3);

/**
 * The CloudWatch dashboard of a stack: one widget group per construct of this library in the stack,
 * in the order the constructs were created. Each group is a `## title` header, one alarm status widget
 * listing the construct's alarms, and graphs of the metrics that matter for the construct, each alarm's
 * threshold drawn on the graph of its metric.
 *
 * It is created on first use, by the first construct of this library in the stack (or by
 * `StackDashboard.of(stack)`), with a name CloudFormation chooses. It opens on the last 3 hours.
 *
 * Cost: CloudWatch bills each dashboard per month beyond the free tier (3 dashboards of up to 50
 * metrics per account), so this is one more dashboard per stack. Turn it off for a construct with its
 * `dashboard: false` prop, or for the whole stack with `StackDashboard.disable(stack)`.
 *
 * Add your own widgets as a group of their own:
 *
 * `StackDashboard.of(stack).addWidgetGroup('Orders API', [new cloudwatch.GraphWidget({ ... })])`
 */
export class StackDashboard extends Construct {
  /**
   * The dashboard of the stack that contains `scope`, created on first use.
   *
   * After `StackDashboard.disable` on the stack, the one returned has no dashboard in the stack, and its
   * `addWidgetGroup` does nothing.
   */
  public static of(scope: IConstruct): StackDashboard {
    return StackDashboard.singleton(scope, 'of scope');
  }

  /**
   * Turns the dashboard of the stack that contains `scope` off: the stack gets no
   * `AWS::CloudWatch::Dashboard`, and the constructs of this library add no widget group to it.
   *
   * It may be called before or after the constructs are created. The flag is kept on the stack's
   * `StackDashboard` (created here if need be), which stays in the construct tree without its dashboard:
   * `enabled` is then false, and `addWidgetGroup` does nothing.
   */
  public static disable(scope: IConstruct): void {
    StackDashboard.singleton(scope, 'disable scope').turnOff();
  }

  private static singleton(scope: IConstruct, prop: string): StackDashboard {
    if (!Construct.isConstruct(scope)) {
      // Not a construct: there is no path to name, so the class stands in for it.
      throw new Error(
        `[StackDashboard] ${prop} must be a construct in a stack, got ${typeof scope === 'string' ? JSON.stringify(scope) : String(scope)}`,
      );
    }
    if (!scope.node.scopes.some((s) => Stack.isStack(s))) {
      throw invalidProp(scope, prop, 'must be a construct within a Stack', scope.node.path || '(the app)');
    }
    const taken = Stack.of(scope).node.tryFindChild(CONSTRUCT_ID);
    if (taken !== undefined && !(taken instanceof StackDashboard)) {
      throw invalidProp(
        taken,
        'id',
        'is reserved by cdk-decoupling-patterns for the stack-wide dashboard; give your construct another id',
        CONSTRUCT_ID,
      );
    }
    return stackSingleton(
      scope,
      CONSTRUCT_ID,
      (construct): construct is StackDashboard => construct instanceof StackDashboard,
      (stack, id) => new StackDashboard(stack, id),
    );
  }

  /**
   * The dashboard. After `StackDashboard.disable` it is no longer in the construct tree, so nothing
   * added to it reaches the template.
   */
  public readonly dashboard: cloudwatch.Dashboard;

  private isEnabled = true;

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: DEFAULT_INTERVAL,
    });
  }

  /** Whether the stack has this dashboard: false after `StackDashboard.disable`. */
  public get enabled(): boolean {
    return this.isEnabled;
  }

  /**
   * Adds a group after the groups already added: a full-width `## title` header, then the widgets,
   * left to right (wrapped at the dashboard's 24 columns). Does nothing when the dashboard is disabled.
   *
   * @param title the group's header, Markdown
   * @param widgets the group's widgets
   */
  public addWidgetGroup(title: string, widgets: cloudwatch.IWidget[]): void {
    if (typeof title !== 'string') {
      throw invalidProp(this, methodArgument('addWidgetGroup', 'title'), 'must be a string', title);
    }
    if (
      !Array.isArray(widgets) ||
      widgets.some((widget) => typeof widget !== 'object' || widget === null || typeof widget.toJson !== 'function')
    ) {
      throw invalidProp(
        this,
        methodArgument('addWidgetGroup', 'widgets'),
        'must be an array of cloudwatch.IWidget',
        widgets,
      );
    }
    const given = [...widgets];
    this._addWidgetGroup(title, () => given);
  }

  /**
   * Adds a group whose widgets are produced when the dashboard is rendered (at synth), for a construct
   * whose alarms or subscribers may change after its constructor.
   *
   * @internal
   */
  public _addWidgetGroup(title: string, produce: () => cloudwatch.IWidget[]): void {
    if (!this.isEnabled) {
      return;
    }
    this.dashboard.addWidgets(new WidgetGroup(title, produce));
  }

  private turnOff(): void {
    this.isEnabled = false;
    this.node.tryRemoveChild(this.dashboard.node.id);
  }
}
