import { describe, expect, it } from "vitest";

import { boxes, canSubmit, expectedLength, initialOtp, pasteCode, pressKey, type KeypadKey } from "./otp";

const typeKeys = (keys: KeypadKey[]) => keys.reduce(pressKey, initialOtp());

describe("OTP keypad", () => {
  it("appends digits and deletes with backspace", () => {
    expect(typeKeys(["1", "2", "3"]).digits).toBe("123");
    expect(typeKeys(["1", "2", "back", "3"]).digits).toBe("13");
    expect(typeKeys(["back"]).digits).toBe("");
    expect(typeKeys(["1", "2", "clear"]).digits).toBe("");
  });
  it("stops at 8 digits", () => {
    const keys = Array.from({ length: 10 }, () => "7" as KeypadKey);
    expect(typeKeys(keys).digits).toBe("77777777");
  });
  it("submits only codes of 4 to 8 digits", () => {
    expect(canSubmit(typeKeys(["1", "2", "3"]))).toBe(false);
    expect(canSubmit(typeKeys(["1", "2", "3", "4"]))).toBe(true);
    expect(canSubmit(typeKeys(["1", "2", "3", "4", "5", "6"]))).toBe(true);
  });
  it("draws one box per expected digit and grows for longer codes", () => {
    expect(boxes(typeKeys(["4", "2"]))).toEqual(["4", "2", "", "", "", ""]);
    expect(boxes(typeKeys(["1", "2", "3", "4", "5", "6", "7"]))).toHaveLength(7);
  });
  it("keeps only digits from a pasted code", () => {
    expect(pasteCode(initialOtp(), "123 456").digits).toBe("123456");
    expect(pasteCode(initialOtp(), "G-123-456").digits).toBe("123456");
    expect(pasteCode(typeKeys(["9"]), "no digits").digits).toBe("9");
  });
  it("reads the expected length from the handoff's metadata", () => {
    expect(expectedLength(undefined)).toBe(6);
    expect(expectedLength({ otp_length: 8 })).toBe(8);
    expect(expectedLength({ detector: { otp_length: 4 } })).toBe(4);
    expect(expectedLength({ otp_length: 42 })).toBe(6);
    expect(initialOtp(2).length).toBe(4);
  });
});
