package io.connectedregistry;

import static org.quicktheories.generators.SourceDSL.lists;

import java.util.Arrays;
import java.util.List;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * QuickTheories generators shared by the property tests (the {@code *Properties} classes): the
 * strings, bytes and pieces that hostile clients and parents send.
 */
public final class Generators {
  private Generators() {}

  /**
   * Any string of at most {@code maxLength} UTF-16 units' worth of pieces: control characters,
   * ASCII, any BMP unit (lone surrogates too, which no encoder can write) and supplementary
   * characters as valid pairs.
   */
  public static Gen<String> anyStrings(int maxLength) {
    Gen<String> unit = Generate.oneOf(
        Generate.characters(0, 0x7f).map(v -> String.valueOf(v)),
        Generate.characters(0, 0xffff).map(v -> String.valueOf(v)),
        codePoints());
    return lists().of(unit).ofSizeBetween(0, maxLength).map(units -> String.join("", units));
  }

  /** Strings that survive UTF-8 (no lone surrogates): what a client can actually send. */
  public static Gen<String> unicodeStrings(int minLength, int maxLength) {
    return lists().of(Generate.oneOf(Generate.characters(0x20, 0x7e).map(v -> String.valueOf(v)), codePoints()))
        .ofSizeBetween(minLength, maxLength).map(units -> String.join("", units));
  }

  /** Any Unicode code point but the surrogates, as a string. */
  private static Gen<String> codePoints() {
    int surrogates = 0xe000 - 0xd800;
    return Generate.range(0, Character.MAX_CODE_POINT - surrogates)
        .map(c -> Character.toString(c < 0xd800 ? c : c + surrogates));
  }

  /** Strings of the characters of {@code alphabet}. */
  public static Gen<String> strings(String alphabet, int minLength, int maxLength) {
    return strings(chars(alphabet), minLength, maxLength);
  }

  public static Gen<String> strings(Gen<Character> chars, int minLength, int maxLength) {
    return lists().of(chars).ofSizeBetween(minLength, maxLength).map(Generators::text);
  }

  /** One of the characters of {@code alphabet}. */
  public static Gen<Character> chars(String alphabet) {
    return Generate.pick(alphabet.chars().mapToObj(c -> (char) c).toList());
  }

  /** Characters from {@code from} to {@code to}, both included. */
  public static Gen<Character> chars(char from, char to) {
    return Generate.characters(from, to);
  }

  private static String text(List<Character> chars) {
    StringBuilder s = new StringBuilder(chars.size());
    chars.forEach(s::append);
    return s.toString();
  }

  /** Any bytes (invalid UTF-8 among them), {@code minLength} to {@code maxLength} of them. */
  public static Gen<byte[]> bytes(int minLength, int maxLength) {
    return Generate.byteArrays(Generate.range(minLength, maxLength),
        Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0)).describedAs(Arrays::toString);
  }

  /** One of {@code values}. */
  @SafeVarargs
  public static <T> Gen<T> pick(T... values) {
    return Generate.pick(List.of(values));
  }

  /** {@code gen}'s values, and null in about {@code percentNull} of the cases. */
  public static <T> Gen<T> nullable(Gen<T> gen, int percentNull) {
    return gen.toOptionals(percentNull).map(o -> o.orElse(null));
  }

  /** Up to {@code maxPieces} of {@code pieces}, joined: text shaped like what a parser reads. */
  public static Gen<String> joined(Gen<String> pieces, int maxPieces) {
    return lists().of(pieces).ofSizeBetween(0, maxPieces).map(p -> String.join("", p));
  }
}
