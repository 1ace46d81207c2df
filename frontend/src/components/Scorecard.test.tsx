import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Scorecard } from "./Scorecard";

describe("Scorecard", () => {
  it("shows one coloured tile per family with its reasons", () => {
    render(
      <Scorecard
        cards={[
          { family: "fidelity", status: "green", headline: "score 91 (reference 96)", reasons: [], value: 0.91, reference: 0.96 },
          { family: "privacy", status: "red", headline: "", reasons: ["12% exact copies"], value: 0.3, reference: 0.5 },
        ]}
      />,
    );
    const tiles = within(screen.getByRole("list", { name: "Scorecard" })).getAllByRole("heading");
    expect(tiles.map((t) => t.textContent)).toEqual(["fidelity", "privacy"]);
    expect(screen.getByText("score 91 (reference 96)")).toBeInTheDocument();
    expect(screen.getByText("0.300 (reference 0.500)")).toBeInTheDocument();
    expect(screen.getByText("12% exact copies")).toBeInTheDocument();
    expect(screen.getByText(/red: well below the reference/)).toBeInTheDocument();
  });
});
