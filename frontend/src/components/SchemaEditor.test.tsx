import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { SchemaJson } from "../types";
import { SchemaEditor } from "./SchemaEditor";

const schema: SchemaJson = {
  format_version: 1,
  columns: [
    { name: "age", kind: "integer", lower: 0 },
    { name: "city", kind: "categorical" },
    { name: "member", kind: "boolean" },
  ],
  target: null,
  sensitive: [],
  rare_threshold: 0,
};

describe("SchemaEditor", () => {
  it("edits kinds, roles and dropped columns and saves the schema", async () => {
    const onSave = vi.fn().mockResolvedValue(undefined);
    const user = userEvent.setup();
    render(<SchemaEditor columns={["age", "city", "member", "notes"]} schema={schema} onSave={onSave} />);

    // A column missing from the schema shows as dropped.
    expect(screen.getByRole("checkbox", { name: "Keep notes" })).not.toBeChecked();
    await user.selectOptions(screen.getByRole("combobox", { name: "Kind of age" }), "numeric");
    await user.click(screen.getByRole("checkbox", { name: "Keep city" }));
    await user.click(screen.getByRole("radio", { name: "member is the target" }));
    await user.click(screen.getByRole("checkbox", { name: "age is sensitive" }));
    await user.click(screen.getByRole("button", { name: "Save schema" }));

    expect(onSave).toHaveBeenCalledWith({
      ...schema,
      columns: [
        { name: "age", kind: "numeric" },
        { name: "member", kind: "boolean" },
      ],
      target: "member",
      sensitive: ["age"],
    });
    expect(await screen.findByRole("status")).toHaveTextContent("Schema saved.");
  });

  it("shows the server's message when saving fails", async () => {
    const onSave = vi.fn().mockRejectedValue(new Error("column 'age': unknown kind 'x'"));
    render(<SchemaEditor columns={["age"]} schema={schema} onSave={onSave} />);
    await userEvent.click(screen.getByRole("button", { name: "Save schema" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("column 'age': unknown kind 'x'");
  });
});
