import { fireEvent, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, upload } from "../api";
import type { Project } from "../types";
import { UploadBox } from "./UploadBox";

vi.mock("../api", async (original) => ({
  ...(await original<typeof import("../api")>()),
  upload: vi.fn(),
}));
const uploadMock = vi.mocked(upload);

const team: Project = { id: "p1", name: "Team", owner_id: "u1", created_at: "", members: [] };

function dropFile(file: File) {
  const zone = screen.getByRole("group", { name: "Drop a table file here" });
  fireEvent.dragOver(zone, { dataTransfer: { files: [file] } });
  expect(zone).toHaveClass("dragging");
  fireEvent.drop(zone, { dataTransfer: { files: [file] } });
  expect(zone).not.toHaveClass("dragging");
}

describe("UploadBox", () => {
  afterEach(() => uploadMock.mockReset());

  it("uploads a dropped file with the holdout share, seed and project", async () => {
    uploadMock.mockImplementation(async (_file, _fields, onProgress) => {
      onProgress(0.5);
      return { id: "d1" };
    });
    const onUploaded = vi.fn();
    const user = userEvent.setup();
    render(<UploadBox projects={[team]} onUploaded={onUploaded} />);
    await user.selectOptions(screen.getByRole("combobox", { name: "Share with" }), "p1");
    const file = new File(["a,b\n1,2\n"], "people.csv", { type: "text/csv" });
    dropFile(file);
    await vi.waitFor(() => expect(onUploaded).toHaveBeenCalledWith("d1"));
    expect(uploadMock).toHaveBeenCalledWith(
      file,
      { holdout_fraction: "0.2", seed: "0", project_id: "p1" },
      expect.any(Function),
    );
  });

  it("shows the server's message for a bad file", async () => {
    uploadMock.mockRejectedValue(new ApiError(422, "people.csv is empty: it has no header row"));
    render(<UploadBox onUploaded={vi.fn()} />);
    expect(screen.queryByRole("combobox", { name: "Share with" })).toBeNull(); // no projects
    dropFile(new File([""], "people.csv"));
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "people.csv is empty: it has no header row",
    );
    expect(uploadMock.mock.calls[0][1]).toEqual({ holdout_fraction: "0.2", seed: "0" });
  });
});
