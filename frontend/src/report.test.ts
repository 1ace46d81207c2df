import { describe, expect, it } from "vitest";
import { bestIndexes, format, groupFigures, metrics, scorecard } from "./report";
import type { Figure } from "./types";

const report = {
  scorecard: [
    { family: "fidelity", status: "green", headline: "score 91 (reference 96)", reasons: [], value: 0.91, reference: 0.96 },
    { family: "privacy", status: "red", headline: "risky", reasons: ["copies"], value: null, reference: null },
  ],
  metrics: [
    { name: "ks", family: "fidelity", label: "KS", value: 0.1, reference: 0.05, direction: "lower", ideal: 0, skipped: null },
    { name: "auc", family: "utility", label: "AUC", value: 0.8, reference: 0.85, direction: "higher", ideal: 1, skipped: null },
  ],
};

describe("report", () => {
  it("reads the scorecard and the metrics", () => {
    expect(scorecard(report).map((c) => [c.family, c.status, c.value])).toEqual([
      ["fidelity", "green", 0.91],
      ["privacy", "red", null],
    ]);
    expect(metrics(report)[1]).toMatchObject({ label: "AUC", direction: "higher" });
    // A scorecard given as a mapping works too.
    expect(scorecard({ scorecard: { utility: { status: "amber", value: 0.5 } } })[0]).toMatchObject({
      family: "utility",
      status: "amber",
    });
  });

  it("marks the best value per metric by its direction", () => {
    const [ks, auc] = metrics(report);
    expect(bestIndexes([{ ...ks, value: 0.2 }, { ...ks, value: 0.1 }])).toEqual([1]);
    expect(bestIndexes([{ ...auc, value: 0.9 }, { ...auc, value: 0.7 }])).toEqual([0]);
    expect(bestIndexes([{ ...auc, value: 0.7 }, { ...auc, value: 0.7 }])).toEqual([]);
    expect(bestIndexes([{ ...auc, value: 0.7 }, undefined])).toEqual([]);
  });

  it("formats numbers for people", () => {
    expect(format(null)).toBe("—");
    expect(format(0.123456)).toBe("0.123");
    expect(format(1234)).toBe("1,234");
  });

  it("gathers consecutive figures of one group under one heading", () => {
    const figure = (section: string, group: string, label: string): Figure => ({
      section,
      group,
      heading: group,
      label,
      tall: false,
      figure: { data: [], layout: {} },
    });
    const groups = groupFigures([
      figure("fidelity", "distributions", "age"),
      figure("fidelity", "distributions", "sex"),
      figure("fidelity", "cramers_v_difference", "real"),
      figure("privacy", "dcr", "dcr"),
    ]);
    expect(groups.map((g) => [g.section, g.group, g.figures.map((f) => f.label)])).toEqual([
      ["fidelity", "distributions", ["age", "sex"]],
      ["fidelity", "cramers_v_difference", ["real"]],
      ["privacy", "dcr", ["dcr"]],
    ]);
  });
});
