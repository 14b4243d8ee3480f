package dev.scratchkit.doctor;

import dev.scratchkit.elf.Platform;
import dev.scratchkit.internal.oci.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What {@link ImageDoctor} found in one image: every {@link Finding}, rule by rule. Readable as
 * text ({@link #toString()}, for JShell and logs), as JSON ({@link #toJson()}) and as a JUnit XML
 * report ({@link #toJUnitXml()}, so CI shows each rule as a test and each error as its failure).
 *
 * <pre>{@code
 * Diagnosis d = ImageDoctor.examine(Path.of("app.tar"));
 * d.errors().forEach(f -> System.out.println(f.code() + " " + f.runtimeError()));
 * }</pre>
 */
public final class Diagnosis {

  private final String image;
  private final Platform platform;
  private final List<String> rules;
  private final List<Finding> findings;

  Diagnosis(String image, Platform platform, List<String> rules, List<Finding> findings) {
    this.image = Objects.requireNonNull(image, "image");
    this.platform = platform;
    this.rules = List.copyOf(rules);
    this.findings = List.copyOf(findings);
  }

  /** {@return what was examined, e.g. {@code app:1 in /tmp/app.tar}} */
  public String image() {
    return image;
  }

  /** {@return the image config's platform} */
  public Platform platform() {
    return platform;
  }

  /** {@return the names of the rules that were run, in order; each is one JUnit test case} */
  public List<String> rules() {
    return rules;
  }

  /** {@return every finding, errors and warnings, rule by rule} */
  public List<Finding> findings() {
    return findings;
  }

  /** {@return the findings with {@link Severity#ERROR}: reasons the container cannot start or fails} */
  public List<Finding> errors() {
    return findings.stream().filter(Finding::isError).toList();
  }

  /** {@return the findings with {@link Severity#WARNING}} */
  public List<Finding> warnings() {
    return findings.stream().filter(f -> !f.isError()).toList();
  }

  /** {@return true when nothing was found at all, neither errors nor warnings} */
  public boolean isClean() {
    return findings.isEmpty();
  }

  /**
   * The diagnosis as JSON, fields in a fixed order: {@code image}, {@code platform},
   * {@code clean}, {@code errors}, {@code warnings}, {@code findings} (each with {@code rule},
   * {@code code}, {@code severity}, {@code path}, {@code message}, {@code runtimeError},
   * {@code fix}).
   *
   * @return one line of JSON
   */
  public String toJson() {
    Map<String, Object> root = Json.object();
    root.put("image", image);
    root.put("platform", platform == null ? null : platform.toString());
    root.put("clean", isClean());
    root.put("errors", errors().size());
    root.put("warnings", warnings().size());
    List<Object> list = new ArrayList<>();
    for (Finding f : findings) {
      Map<String, Object> o = Json.object();
      o.put("rule", f.rule());
      o.put("code", f.code());
      o.put("severity", f.severity().name());
      o.put("path", f.path());
      o.put("message", f.message());
      o.put("runtimeError", f.runtimeError());
      o.put("fix", f.fix());
      list.add(o);
    }
    root.put("findings", list);
    return Json.write(root);
  }

  /**
   * The diagnosis as a JUnit XML report: one test case per rule, a {@code failure} for each rule
   * with errors (all its errors in the text), warnings in the test case's {@code system-out}.
   *
   * @return an XML document
   */
  public String toJUnitXml() {
    Map<String, List<Finding>> byRule = new LinkedHashMap<>();
    rules.forEach(r -> byRule.put(r, new ArrayList<>()));
    findings.forEach(f -> byRule.computeIfAbsent(f.rule(), r -> new ArrayList<>()).add(f));
    long failures = byRule.values().stream().filter(l -> l.stream().anyMatch(Finding::isError)).count();
    StringBuilder x = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.append("<testsuite name=\"").append(xml("scratchkit doctor: " + image)).append("\" tests=\"").append(byRule.size())
        .append("\" failures=\"").append(failures).append("\" errors=\"0\" skipped=\"0\">\n");
    byRule.forEach((rule, list) -> {
      x.append("  <testcase classname=\"scratchkit.doctor\" name=\"").append(xml(rule)).append("\"");
      List<Finding> errors = list.stream().filter(Finding::isError).toList();
      List<Finding> warnings = list.stream().filter(f -> !f.isError()).toList();
      if (errors.isEmpty() && warnings.isEmpty()) {
        x.append("/>\n");
        return;
      }
      x.append(">\n");
      if (!errors.isEmpty()) {
        x.append("    <failure type=\"").append(xml(errors.get(0).code())).append("\" message=\"")
            .append(xml(errors.get(0).path() + ": " + errors.get(0).message())).append("\">");
        for (Finding f : errors) {
          x.append(xml(f.toString())).append('\n');
        }
        x.append("</failure>\n");
      }
      if (!warnings.isEmpty()) {
        x.append("    <system-out>");
        for (Finding f : warnings) {
          x.append(xml(f.toString())).append('\n');
        }
        x.append("</system-out>\n");
      }
      x.append("  </testcase>\n");
    });
    return x.append("</testsuite>\n").toString();
  }

  private static String xml(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&': out.append("&amp;"); break;
        case '<': out.append("&lt;"); break;
        case '>': out.append("&gt;"); break;
        case '"': out.append("&quot;"); break;
        case '\'': out.append("&apos;"); break;
        default:
          if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') {
            out.append("\\u").append(String.format("%04x", (int) c)); // not allowed in XML 1.0
          } else {
            out.append(c);
          }
      }
    }
    return out.toString();
  }

  /**
   * Several lines for people: the image, then each finding with its run-time error and fix; or
   * that nothing was found.
   */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder(image).append(" (").append(platform).append("): ");
    if (findings.isEmpty()) {
      return s.append("no findings; ").append(rules.size()).append(" rules passed").toString();
    }
    s.append(errors().size()).append(" error").append(errors().size() == 1 ? "" : "s").append(", ")
        .append(warnings().size()).append(" warning").append(warnings().size() == 1 ? "" : "s");
    for (Finding f : findings) {
      s.append("\n").append(f.severity()).append(' ').append(f.code()).append(' ').append(f.path())
          .append("\n  ").append(f.message());
      if (!f.runtimeError().isEmpty()) {
        s.append("\n  fails with: ").append(f.runtimeError());
      }
      s.append("\n  fix: ").append(f.fix());
    }
    return s.toString();
  }
}
