package io.connectedregistry.oci;

import static io.connectedregistry.Generators.anyStrings;
import static io.connectedregistry.Generators.bytes;
import static io.connectedregistry.Generators.pick;
import static io.connectedregistry.Generators.strings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * {@link RepositoryName} reads {@code <name>} from every URL and from the parent's catalog and
 * change feed: whatever it is given, it answers a name or {@link InvalidReferenceException}.
 */
class RepositoryNameProperties {

  @Test
  void aGeneratedSpecConformingNameIsAccepted() {
    qt().withExamples(500).forAll(validNames()).checkAssert(name -> assertEquals(name, RepositoryName.of(name).value()));
  }

  /** The spec's regex, which the name check implemented by hand before it was written out. */
  private static final Pattern SPEC_GRAMMAR = Pattern.compile(
      "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");

  @Test
  void theHandWrittenCheckAgreesWithTheSpecsRegex() {
    Gen<String> nearNames = validNames().zip(strings("az09./_-A:", 0, 3), integers().between(0, 250),
        (name, noise, at) -> {
          int i = Math.min(at, name.length());
          return name.substring(0, i) + noise + name.substring(i);
        });
    qt().withExamples(3000).forAll(Generate.oneOf(nearNames, strings("a0./_-", 0, 40), validNames()))
        .checkAssert(text -> assertEquals(SPEC_GRAMMAR.matcher(text).matches(), RepositoryName.isGrammatical(text),
            text));
  }

  @Test
  void aNameLongerThan255IsRefusedWhateverItsShape() {
    qt().withExamples(500).forAll(validNames()).checkAssert(name ->
        assertRefused((name + "/").repeat(RepositoryName.MAX_LENGTH / (name.length() + 1) + 1) + "a"));
  }

  @Test
  void anyStringIsANameOrRefusedAsOne() {
    qt().withExamples(1000).forAll(anyStrings(300)).checkAssert(RepositoryNameProperties::nameOrRefused);
  }

  @Test
  void stringsOfTheGrammarsAlphabetAreANameOrRefusedAsOne() {
    qt().withExamples(1000).forAll(strings("ab09./_-A:@ \u0000\n\u00e9", 0, 300))
        .checkAssert(RepositoryNameProperties::nameOrRefused);
  }

  @Test
  void aHugeNameIsRefused() {
    qt().withExamples(50).forAll(integers().between(128, 100_000), pick("/", ".", "_", "__", "-", "---"))
        .checkAssert((components, separator) -> assertRefused("a" + (separator + "a").repeat(components)));
  }

  @Test
  void invalidUtf8DecodedAsTextIsANameOrRefused() {
    qt().withExamples(300).forAll(bytes(0, 300))
        .checkAssert(bytes -> nameOrRefused(new String(bytes, StandardCharsets.UTF_8)));
  }

  private static void nameOrRefused(String text) {
    try {
      assertEquals(text, RepositoryName.of(text).value());
    } catch (InvalidReferenceException e) {
      assertEquals("name", e.kind());
    }
  }

  private static void assertRefused(String text) {
    assertEquals("name", assertThrows(InvalidReferenceException.class, () -> RepositoryName.of(text)).kind());
  }

  /**
   * Names of the distribution spec's grammar. At most 6 components of at most 8 + 3 * (3 + 8)
   * characters and 5 slashes: 251, within the 255 a name may have.
   */
  static Gen<String> validNames() {
    Gen<String> alnum = strings("abcdefghijklmnopqrstuvwxyz0123456789", 1, 8);
    Gen<String> separator = Generate.oneOf(pick(".", "_", "__"), strings("-", 1, 3));
    Gen<String> component = alnum.zip(lists().of(separator.zip(alnum, String::concat)).ofSizeBetween(0, 3),
        (first, rest) -> first + String.join("", rest));
    return lists().of(component).ofSizeBetween(1, 6).map(parts -> String.join("/", parts));
  }
}
