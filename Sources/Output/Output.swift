public import FlowModel
