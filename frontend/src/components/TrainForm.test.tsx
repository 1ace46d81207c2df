import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { Synthesizer } from "../types";
import { parseParam, TrainForm } from "./TrainForm";

const models: Synthesizer[] = [
  {
    name: "gaussian_copula",
    description: "a quick baseline",
    available: true,
    reason: "",
    params: [
      { name: "max_knots", type: "int", default: 1000, required: false },
      { name: "max_fit_rows", type: "int | None", default: 200000, required: false },
    ],
    privacy_param: null,
  },
  {
    name: "ctgan",
    description: "a GAN",
    available: true,
    reason: "",
    params: [
      { name: "epochs", type: "int", default: 300, required: false },
      { name: "epsilon", type: "float | None", default: null, required: false },
    ],
    privacy_param: "epsilon",
  },
  { name: "missing", description: "", available: false, reason: "no torch", params: [], privacy_param: null },
];

describe("TrainForm", () => {
  it("builds the settings form from the model's parameters", async () => {
    const onTrain = vi.fn().mockResolvedValue(undefined);
    const user = userEvent.setup();
    render(<TrainForm synthesizers={models} onTrain={onTrain} />);
    expect(screen.getByRole("combobox", { name: "Generator" })).toHaveDisplayValue("gaussian_copula");
    expect(screen.queryByRole("option", { name: "missing" })).toBeNull();
    const knots = screen.getByRole("textbox", { name: /max_knots/ });
    await user.clear(knots);
    await user.type(knots, "50");
    await user.click(screen.getByRole("button", { name: "Start training" }));
    expect(onTrain).toHaveBeenCalledWith("gaussian_copula", { max_knots: 50 }, 0);
  });

  it("offers ε when the model supports differential privacy", async () => {
    const onTrain = vi.fn().mockResolvedValue(undefined);
    const user = userEvent.setup();
    render(<TrainForm synthesizers={models} onTrain={onTrain} />);
    await user.selectOptions(screen.getByRole("combobox", { name: "Generator" }), "ctgan");
    expect(screen.queryByRole("textbox", { name: /epsilon/ })).toBeNull();
    await user.click(screen.getByRole("checkbox", { name: "Train with differential privacy" }));
    const epsilon = screen.getByRole("spinbutton", { name: /Privacy budget ε/ });
    await user.clear(epsilon);
    await user.type(epsilon, "3");
    await user.click(screen.getByRole("button", { name: "Start training" }));
    expect(onTrain).toHaveBeenCalledWith("ctgan", { epsilon: 3 }, 0);
  });

  it("parses values by the parameter's type", () => {
    const param = (type: string) => ({ name: "p", type, default: null, required: false });
    expect(parseParam(param("int"), "12")).toBe(12);
    expect(parseParam(param("float | None"), "")).toBeNull();
    expect(parseParam(param("str"), " adam ")).toBe("adam");
    expect(parseParam(param("tuple[int, ...]"), "[256, 256]")).toEqual([256, 256]);
  });
});
