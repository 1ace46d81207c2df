import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { guarantee } from "../report";
import { PrivacyGuarantee } from "./PrivacyGuarantee";

// As `Report.to_dict()` writes a private generator's entries.
const privateReport = {
  generator: "autoregressive",
  privacy: {
    epsilon_target: 1,
    delta_target: 0.00025,
    epsilon_spent: 0.9954975,
    delta_spent: 0.00025,
    accountant: "prv",
    parts: [
      { name: "preprocessing", epsilon: 0.2, delta: 0.00005, mechanism: "one Gaussian histogram" },
      { name: "training", epsilon: 0.7954975, delta: 0.0002, mechanism: "DP-SGD with Opacus" },
    ],
    public: ["the schema", "the number of rows"],
  },
};

describe("PrivacyGuarantee", () => {
  it("states ε and δ spent and targeted, the accountant, each part and what was public", () => {
    const found = guarantee(privateReport);
    expect(found).toBeDefined();
    render(<PrivacyGuarantee guarantee={found!} />);
    expect(screen.getByText(/\(ε = 0.995, δ = 0.00025\)-differentially/)).toBeInTheDocument();
    expect(screen.getByText(/spent ε = 0.995 of its target 1 and δ = 0.00025/)).toHaveTextContent(
      "accountant: prv",
    );
    const rows = within(screen.getByRole("table")).getAllByRole("row").slice(1);
    expect(rows.map((row) => row.textContent)).toEqual([
      "preprocessing0.20.00005one Gaussian histogram",
      "training0.7950.0002DP-SGD with Opacus",
    ]);
    expect(screen.getByText("the number of rows")).toBeInTheDocument();
  });

  it("says plainly when the generator was not private, and nothing when unknown", () => {
    const plain = guarantee({ generator: "ctgan", privacy: null });
    expect(plain).toEqual({ generator: "ctgan", ledger: null });
    render(<PrivacyGuarantee guarantee={plain!} />);
    expect(screen.getByText(/The generator \(ctgan\) was trained without differential privacy/)).toBeInTheDocument();
    expect(guarantee({ name: "from another tool" })).toBeUndefined();
  });
});
