internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// Expands the input arguments users give: files, directories (every file below, as `nfdump -R`
/// does) and glob patterns (for shells that did not expand them, or quoted ones).
public enum InputPaths {
    /// Expands `arguments` into file paths, in argument order; a directory's files are sorted by path.
    ///
    /// Hidden files (names starting with `.`) inside directories are skipped.
    ///
    /// - Parameter arguments: Paths, directories and patterns.
    /// - Returns: Every file named, without duplicates.
    /// - Throws: `InputError` naming an argument that is neither a file, a directory nor a pattern
    ///   matching something.
    public static func expand(_ arguments: [String]) throws(InputError) -> [String] {
        var result: [String] = []
        var seen = Set<String>()
        func add(_ path: String) {
            if seen.insert(path).inserted { result.append(path) }
        }
        for argument in arguments {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) {
                if isDirectory.boolValue {
                    for file in filesBelow(argument) { add(file) }
                } else {
                    add(argument)
                }
                continue
            }
            let matches = glob(argument)
            guard !matches.isEmpty else {
                throw InputError(path: argument, underlying: .io(offset: 0, detail: "no such file or directory"))
            }
            for match in matches {
                var matchIsDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: match, isDirectory: &matchIsDirectory), matchIsDirectory.boolValue {
                    for file in filesBelow(match) { add(file) }
                } else {
                    add(match)
                }
            }
        }
        return result
    }

    /// Every regular file below `directory`, sorted, hidden ones skipped.
    static func filesBelow(_ directory: String) -> [String] {
        let base = URL(fileURLWithPath: directory)
        guard let walker = FileManager.default.enumerator(
            at: base, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
        else { return [] }
        var files: [String] = []
        for case let url as URL in walker {
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                let relative = url.path.hasPrefix(base.path + "/") ? String(url.path.dropFirst(base.path.count + 1)) : url.lastPathComponent
                files.append(directory.hasSuffix("/") ? directory + relative : directory + "/" + relative)
            }
        }
        return files.sorted()
    }

    /// The paths matching a shell pattern (`*`, `?`, `[…]`), sorted; empty when none match.
    static func glob(_ pattern: String) -> [String] {
        guard pattern.contains(where: { "*?[".contains($0) }) else { return [] }
        var matches = glob_t()
        defer { globfree(&matches) }
        guard Glibc.glob(pattern, 0, nil, &matches) == 0 else { return [] }
        return (0..<Int(matches.gl_pathc)).compactMap { matches.gl_pathv[$0].map { String(cString: $0) } }
    }
}
