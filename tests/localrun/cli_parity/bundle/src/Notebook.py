# Databricks notebook source
print("parity")
