#pragma once
// The one undo command the editor needs: an exact before/after snapshot of the graph's
// nodes and editor section. Graphs are small (tens of nodes), so snapshots cost little
// and undo can never drift from the state the user saw.
#include <QUndoCommand>

#include <string>

#include "graph_document.hpp"

namespace ng::editor {

class GraphEditCommand : public QUndoCommand {
 public:
  /// Consecutive commands with the same non-empty `merge_key` fold into one (the first's
  /// "before", the last's "after"), e.g. the steps of a slider drag.
  GraphEditCommand(GraphDocument* doc, const QString& label, GraphState before, GraphState after,
                   std::string merge_key);

  void undo() override;
  void redo() override;
  int id() const override { return merge_key_.empty() ? -1 : kMergeId; }
  bool mergeWith(const QUndoCommand* other) override;

 private:
  static constexpr int kMergeId = 0x4e47;  // any constant: merge_key decides
  GraphDocument* doc_;
  GraphState before_, after_;
  std::string merge_key_;
};

}  // namespace ng::editor
