import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/** Height of a group's `## title` header, in grid units. */
const HEADER_HEIGHT = 1;

/**
 * One construct's widget group on the stack dashboard: a full-width `## title` header, then its widgets,
 * laid out left to right and wrapped at the dashboard's 24 columns.
 *
 * The widgets are produced when the dashboard body is rendered (at synth), not when the group is added:
 * a construct's alarms and subscribers may still change after its constructor (TopicFanOut's `add*`
 * methods), and the group shows what the construct has when the template is written.
 *
 * There is deliberately no `widgets` member: aws-cdk-lib's `Dashboard.addWidgets` walks containers that have
 * one, which would produce the widgets when the group is added.
 */
export class WidgetGroup implements cloudwatch.IWidget {
  public readonly warnings?: string[] = undefined;
  public readonly warningsV2?: { [id: string]: string } = undefined;
  private column?: cloudwatch.Column;

  constructor(
    private readonly title: string,
    private readonly produce: () => cloudwatch.IWidget[],
  ) {}

  public get width(): number {
    return this.layout().width;
  }

  public get height(): number {
    return this.layout().height;
  }

  public position(x: number, y: number): void {
    this.layout().position(x, y);
  }

  public toJson(): any[] {
    const json = this.layout().toJson();
    // The next synthesis (another `Template.fromStack`, `app.synth()`) lays the group out afresh with
    // whatever the construct has by then.
    this.column = undefined;
    return json;
  }

  private layout(): cloudwatch.Column {
    if (this.column === undefined) {
      const header = new cloudwatch.TextWidget({
        markdown: `## ${this.title}`,
        width: cloudwatch.GRID_WIDTH,
        height: HEADER_HEIGHT,
      });
      const widgets = this.produce();
      this.column =
        widgets.length > 0
          ? new cloudwatch.Column(header, new cloudwatch.Row(...widgets))
          : new cloudwatch.Column(header);
    }
    return this.column;
  }
}
