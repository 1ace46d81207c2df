import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Run, SchemaJson } from "../types";
import { GenerateForm, parseRatios } from "./GenerateForm";

const run = {
  id: "r1",
  dataset_id: "d1",
  synthesizer: "gaussian_copula",
  params: {},
  seed: 0,
  fit_seconds: 1,
  created_at: "2026-01-01T00:00:00Z",
  job: {} as Run["job"],
} satisfies Run;
const schema: SchemaJson = {
  columns: [
    { name: "age", kind: "integer" },
    { name: "income", kind: "categorical" },
  ],
  target: "income",
  sensitive: [],
};

function posted(fetchMock: ReturnType<typeof vi.fn>): Record<string, unknown> {
  const [url, init] = fetchMock.mock.calls[0] as [string, RequestInit];
  expect(url).toBe("/api/v1/synthetic-tables");
  return JSON.parse(String(init.body));
}

describe("GenerateForm", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("reads a class mix as the CLI's --ratios does", () => {
    expect(parseRatios("")).toBeNull();
    expect(parseRatios(">50K=0.3, <=50K = 0.7")).toEqual({ ">50K": 0.3, "<=50K": 0.7 });
    expect(parseRatios("a=b=2")).toEqual({ "a=b": 2 });
    expect(() => parseRatios("yes")).toThrow('class mix part "yes" must look like class=weight');
    expect(() => parseRatios("yes=lots")).toThrow("must look like class=weight");
    expect(() => parseRatios("yes=-1")).toThrow("the weight of yes must not be negative");
  });

  it("sends a rebalanced request with the chosen class mix", async () => {
    const fetchMock = vi.fn().mockResolvedValue(new Response("{}", { status: 201 }));
    vi.stubGlobal("fetch", fetchMock);
    const onCreated = vi.fn();
    const user = userEvent.setup();
    render(<GenerateForm runs={[run]} schema={schema} onCreated={onCreated} />);
    await user.selectOptions(screen.getByRole("combobox", { name: "How to generate" }), "rebalance");
    await user.selectOptions(screen.getByRole("combobox", { name: "Column" }), "income");
    await user.type(screen.getByRole("textbox", { name: /Class mix/ }), ">50K=1, <=50K=3");
    await user.clear(screen.getByRole("spinbutton", { name: "Rows to generate" }));
    await user.type(screen.getByRole("spinbutton", { name: "Rows to generate" }), "400");
    await user.click(screen.getByRole("button", { name: "Generate" }));
    expect(posted(fetchMock)).toEqual({
      run_id: "r1",
      n_rows: 400,
      seed: 0,
      rebalance: "income",
      ratios: { ">50K": 1, "<=50K": 3 },
    });
    expect(onCreated).toHaveBeenCalled();
  });

  it("shows a bad mix and the server's message without sending or hiding them", async () => {
    const fetchMock = vi
      .fn()
      .mockResolvedValue(
        new Response(JSON.stringify({ detail: "ratios must not all be zero" }), { status: 422 }),
      );
    vi.stubGlobal("fetch", fetchMock);
    const user = userEvent.setup();
    render(<GenerateForm runs={[run]} schema={schema} onCreated={vi.fn()} />);
    await user.selectOptions(screen.getByRole("combobox", { name: "How to generate" }), "rebalance");
    const mix = screen.getByRole("textbox", { name: /Class mix/ });
    await user.type(mix, "rich");
    await user.click(screen.getByRole("button", { name: "Generate" }));
    expect(screen.getByRole("alert")).toHaveTextContent('class mix part "rich" must look like');
    expect(fetchMock).not.toHaveBeenCalled();
    await user.clear(mix);
    await user.type(mix, "a=0, b=0");
    await user.click(screen.getByRole("button", { name: "Generate" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("ratios must not all be zero");
    expect(posted(fetchMock)).toMatchObject({ rebalance: "age", ratios: { a: 0, b: 0 } });
  });
});
