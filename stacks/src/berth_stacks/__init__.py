"""berth's Pulumi components and Automation API runner."""
