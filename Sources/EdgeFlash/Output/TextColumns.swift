import EdgeCore

/// Rows of cells as aligned text columns, two spaces apart; the last column is not padded. A cell
/// is one line: a newline in it (a label, a serial) is shown as `\n`, never a row of its own.
enum TextColumns {
    static func render(_ rows: [[String]]) -> String {
        let rows = rows.map { $0.map(VisibleText.inLine) }
        let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            var line = row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line + "\n"
        }.joined()
    }
}
