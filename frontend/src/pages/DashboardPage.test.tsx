import { render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Figures } from "../types";
import { DashboardPage } from "./DashboardPage";

const heatmap = (title: string) => ({
  data: [{ type: "heatmap", z: [[1, 0.2], [0.2, 1]], x: ["a", "b"], y: ["a", "b"] }],
  layout: { title: { text: title } },
});

const figures: Figures = {
  template: { layout: { paper_bgcolor: "white" } },
  figures: [
    ...["real", "synthetic", "synthetic − real"].map((title) => ({
      section: "fidelity",
      group: "cramers_v_difference",
      heading: "Association between columns (Cramér's V)",
      label: `Association between columns: ${title}`,
      tall: true,
      figure: heatmap(title),
    })),
    {
      section: "privacy",
      group: "mia",
      heading: "Membership inference",
      label: "ROC curves of membership-inference attacks against the synthetic table",
      tall: false,
      figure: { data: [{ type: "scatter", x: [0, 1], y: [0, 1] }], layout: {} },
    },
    {
      section: "fairness",
      group: "groups:sex",
      heading: "sex",
      label: "P(income = >50K) for each group of sex",
      tall: false,
      figure: { data: [{ type: "bar", x: ["F", "M"], y: [0.2, 0.4] }], layout: {} },
    },
  ],
};

const report = {
  scorecard: [{ family: "fidelity", status: "green", headline: "score 91 (reference 96)", reasons: [] }],
  metrics: [
    { name: "ks", family: "fidelity", label: "KS", value: 0.1, reference: 0.05, direction: "lower", ideal: 0 },
    { name: "dcr_share", family: "privacy", label: "DCR share", value: 0.5, reference: 0.5, direction: "lower", ideal: 0.5 },
    {
      name: "target_rate_gap",
      family: "fairness",
      label: "Target-rate gap",
      value: 0.02,
      reference: 0.01,
      direction: "lower",
      ideal: 0,
      details: {
        target: "income",
        positive: ">50K",
        groups: {
          sex: [
            { group: "F", real_share: 0.5, synthetic_share: 0.25, holdout_share: 0.5, real_rate: 0.2, synthetic_rate: 0.3, holdout_rate: 0.21 },
          ],
        },
      },
    },
  ],
};

const answers: Record<string, unknown> = {
  "/api/v1/evaluations/e1": { id: "e1", dataset_id: "d1", synthetic_id: "s1", created_at: "", job: {} },
  "/api/v1/evaluations/e1/report": report,
  "/api/v1/evaluations/e1/figures": figures,
};

describe("DashboardPage", () => {
  const react = vi.fn().mockResolvedValue(undefined);
  beforeEach(() => {
    vi.stubGlobal("Plotly", { react, purge: vi.fn() });
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string) => new Response(JSON.stringify(answers[url]), { status: 200 })),
    );
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    react.mockClear();
  });

  it("draws the report's figures per section, with the shared template", async () => {
    render(<DashboardPage id="e1" />);
    const fidelity = await screen.findByRole("region", { name: /^Fidelity/ });
    expect(within(fidelity).getByRole("heading", { name: "Association between columns (Cramér's V)" })).toBeInTheDocument();
    expect(within(fidelity).getAllByRole("img").map((img) => img.getAttribute("aria-label"))).toEqual([
      "Association between columns: real",
      "Association between columns: synthetic",
      "Association between columns: synthetic − real",
    ]);
    expect(within(fidelity).getByRole("table", { name: "fidelity" })).toHaveTextContent("KS");
    const privacy = screen.getByRole("region", { name: /^Privacy/ });
    expect(within(privacy).getByRole("img", { name: /membership-inference/ })).toBeInTheDocument();
    // Utility has neither metrics nor figures here: no empty section.
    expect(screen.queryByRole("region", { name: /^Utility/ })).toBeNull();
    await waitFor(() => expect(react).toHaveBeenCalledTimes(5));
    const [, data, layout] = react.mock.calls[0];
    expect(data).toEqual(figures.figures[0].figure.data);
    expect(layout).toMatchObject({ template: figures.template, height: 420, title: { text: "real" } });
  });

  it("shows each sensitive column's groups beside its chart", async () => {
    render(<DashboardPage id="e1" />);
    const table = await screen.findByRole("table", { name: "Groups of sex" });
    const cells = within(table).getAllByRole("cell").map((cell) => cell.textContent);
    expect(cells).toEqual(["50.0 %", "25.0 %", "50.0 %", "0.200", "0.300", "0.210"]);
    expect(within(table).getByRole("columnheader", { name: "P(income = >50K) synthetic" })).toBeInTheDocument();
  });
});
